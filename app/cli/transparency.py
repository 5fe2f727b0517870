"""Commands of the public record: the log's key, and checking a receipt's proof offline with
nothing but the file and the keys."""

from __future__ import annotations

import os
from pathlib import Path
from typing import Annotated

import typer

from app.cli.common import _fail, cli

log_cli = typer.Typer(no_args_is_help=True, help="The public log of ballots.")
proof_cli = typer.Typer(no_args_is_help=True, help="Proofs that a ballot is in the public log.")
witness_cli = typer.Typer(no_args_is_help=True, help="A witness for another party's log.")
cli.add_typer(log_cli, name="log")
cli.add_typer(witness_cli, name="witness")
cli.add_typer(proof_cli, name="proof")


def _new_key(name: str, out: Path, option: str) -> tuple[str, str]:
    """A new signing key for ``name``, written to ``out`` (readable by its owner only, never
    overwritten): the signer and verifier keys."""
    from app.transparency.note import NoteError, generate

    try:
        skey, vkey = generate(name)
    except NoteError as exc:
        raise _fail(f"{option}: {exc}", 2) from exc
    try:
        fd = os.open(out, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    except FileExistsError as exc:
        raise _fail(f"{out} exists: a signing key is never replaced by accident") from exc
    with os.fdopen(fd, "w") as file:
        file.write(skey + "\n")
    typer.echo(f"signing key written to {out} (keep it secret)", err=True)
    return skey, vkey


@log_cli.command("keygen")
def log_keygen(
    origin: Annotated[str, typer.Option(help="The log's origin: its public host and path")],
    out: Annotated[Path, typer.Option("-o", "--out", help="Where the signing key goes")],
) -> None:
    """Make the log's signing key (written to --out, readable by its owner only, never
    overwritten) and print its verifier key, in signed-note form, as the last line."""
    typer.echo(_new_key(origin, out, "--origin")[1])


@witness_cli.command("keygen")
def witness_keygen(
    name: Annotated[str, typer.Option(help="The witness's name, e.g. thanhtra.example/w1")],
    out: Annotated[Path, typer.Option("-o", "--out", help="Where the signing key goes")],
) -> None:
    """Make a witness's signing key and print its cosignature verifier key (type 0x04) as the
    last line: the log's operator adds it to HAILONG_LOG_WITNESSES."""
    from app.transparency.cosignature import witness_key
    from app.transparency.note import Signer

    signer = Signer.parse(_new_key(name, out, "--name")[0])
    typer.echo(witness_key(signer.name, signer.private))


@witness_cli.command("serve")
def witness_serve(
    log_key: Annotated[
        list[str], typer.Option(help="A log's verifier key it witnesses (repeat for several)")
    ],
    key: Annotated[Path, typer.Option(help="The witness's signing key (witness keygen)")],
    state: Annotated[Path, typer.Option(help="Each log's latest cosigned checkpoint")],
    host: str = "127.0.0.1",
    port: int = 8100,
) -> None:
    """Cosign the logs' checkpoints (C2SP tlog-witness: POST /add-checkpoint), each only if it
    is consistent with the last one cosigned."""
    import uvicorn

    from app.transparency.note import NoteError, Verifier, load_signer
    from app.transparency.witness import Witness
    from app.web.witness import witness_app

    try:
        logs = [Verifier.parse(k) for k in log_key]
        signer = load_signer(key)
    except NoteError as exc:
        raise _fail(f"a key: {exc}", 2) from exc
    witness = Witness(signer, logs, state)
    typer.echo(witness.verifier_key, err=True)
    uvicorn.run(witness_app(witness), host=host, port=port, log_level="warning")


@log_cli.command("sequence")
def log_sequence() -> None:
    """Give every waiting ballot and decision its place in the log now, and sign a checkpoint
    (with HAILONG_LOG_KEY_FILE) that the witnesses cosign, as the server does every
    HAILONG_LOG_SECONDS."""
    from app.core.config import get_settings
    from app.core.db import get_engine
    from app.transparency.note import NoteError
    from app.transparency.sequencer import log_keys, run_once

    try:
        signer, peers = log_keys(get_settings())
    except NoteError as exc:
        raise _fail(str(exc), 2) from exc
    done = run_once(get_engine(), signer, peers)
    signed = f"; checkpoint of {done.signed.size} signed" if done.signed else ""
    typer.echo(f"{done.appended} entries appended{signed}")


@log_cli.command("audit")
def log_audit(
    url: Annotated[str, typer.Argument(help="The log's address, e.g. https://host/log")],
    key: Annotated[str, typer.Option(help="The log's verifier key (name+hash+key)")],
    state: Annotated[Path, typer.Option(help="What the last run saw; kept between runs")] = Path(
        "hailong-log-audit.json"
    ),
) -> None:
    """Check a running log from outside: its checkpoint is signed by --key, consistent with the
    one seen last time, and made by the entries it serves, every one read again. Prints the
    ballots counted per office and month; exits 1 with the first disagreement."""
    from app.transparency.monitor import Disagreement, audit
    from app.transparency.note import NoteError, Verifier

    try:
        log = Verifier.parse(key)
    except NoteError as exc:
        raise _fail(f"--key: {exc}", 2) from exc
    try:
        done = audit(url, log, state, progress=lambda n: typer.echo(f"{n:,} entries…", err=True))
    except Disagreement as exc:
        raise _fail(f"disagreement: {exc}") from exc
    months: dict[tuple[str, str], int] = {}
    for (office, month, _source), n in done.counted.items():
        months[(office, month)] = months.get((office, month), 0) + n
    for (office, month), n in sorted(months.items()):
        typer.echo(f"{office}\t{month}\t{n}")
    since = "" if done.previous is None else f", consistent with the {done.previous:,} seen before"
    typer.echo(f"ok: {done.checkpoint.size:,} entries make the signed tree{since}")


@proof_cli.command("verify")
def proof_verify(
    file: Annotated[Path, typer.Argument(help="A .tlog-proof file")],
    key: Annotated[str, typer.Option(help="The log's verifier key (name+hash+key)")],
    witness: Annotated[
        list[str] | None, typer.Option(help="A witness's verifier key (repeat for several)")
    ] = None,
    min_witnesses: Annotated[
        int | None, typer.Option(help="Cosignatures needed (default: every --witness)")
    ] = None,
) -> None:
    """Check offline that the entry the proof carries (its extra data) is in the log whose key
    signed the proof's checkpoint, and that the witnesses cosigned that checkpoint. Exits 1 with
    the reason when anything does not hold."""
    from app.transparency.cosignature import Witness, cosigned_by
    from app.transparency.merkle import ProofError, leaf_hash
    from app.transparency.note import NoteError, Verifier
    from app.transparency.proof import TlogProof, verify_proof

    try:
        log = Verifier.parse(key)
        witnesses = [Witness.parse(w) for w in witness or []]
    except NoteError as exc:
        raise _fail(f"a key: {exc}", 2) from exc
    try:
        text = file.read_text(encoding="utf-8")
    except (OSError, UnicodeDecodeError) as exc:
        raise _fail(f"cannot read {file}: {exc}", 2) from exc
    try:
        proof = TlogProof.parse(text)
        if not proof.extra:
            raise ProofError("the proof carries no entry (its extra line)")
        checkpoint = verify_proof(proof, leaf_hash(proof.extra), log, log.name)
        signed = cosigned_by(proof.checkpoint, witnesses)
    except (ProofError, NoteError) as exc:
        raise _fail(f"not valid: {exc}") from exc
    needed = len(witnesses) if min_witnesses is None else min_witnesses
    if len(signed) < needed:
        raise _fail(f"not valid: {len(signed)} of the {needed} cosignatures needed")
    typer.echo(
        f"valid: entry {proof.index} of {checkpoint.size} in {checkpoint.origin}"
        + (f", cosigned by {', '.join(sorted(signed))}" if signed else "")
    )
