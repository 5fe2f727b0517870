"""Signed notes against the published vectors: the C2SP signed-note example and Go's checksum
database note tests (golang.org/x/mod/sumdb/note)."""

from __future__ import annotations

import pytest

from app.transparency.note import NoteError, Signer, Verifier, generate, open_note, sign

SPEC_KEY = "example.com/foo+530d903a+AekyeRrm56hApGFkyQR4ZCbV54Id2LKaANYcrnKv3U2k"
SPEC_NOTE = (
    "This is an example message.\n\n\u2014 example.com/foo "
    "Uw2QOkn8srV1yJGh2VYRlL1Tnagv1YEq6TfXppzi2ONncAlTgK7Ztg1ERYNZXsYjOBH3mFXmRKuwHjG1Yu72IneyaQM=\n"
)
PETER_SKEY = "PRIVATE+KEY+PeterNeumann+c74f20a3+AYEKFALVFGyNhPJEMzD1QIDr+Y7hfZx09iUvxdXHKDFz"
PETER_VKEY = "PeterNeumann+c74f20a3+ARpc2QcUPDhMQegwxbzhKqiBfsVkmqq/LDE4izWy10TW"
ENOCH_VKEY = "EnochRoot+af0cfe78+ATtqJ7zOtqQtYqOo0CpvDXNlMhV3HeJDpjrASKGLWdop"
TEXT = (
    "If you think cryptography is the answer to your problem,\n"
    "then you don't know what your problem is.\n"
)
PETER_SIG = (
    "\u2014 PeterNeumann x08go/ZJkuBS9UG/SffcvIAQxVBtiFupLLr8pAcElZInNIuGUgYN1FFYC2pZSNXgKvqfqdng"
    "otpRZb6KE6RyyBwJnAM=\n"
)
ENOCH_SIG = (
    "\u2014 EnochRoot rwz+eBzmZa0SO3NbfRGzPCpDckykFXSdeX+MNtCOXm2/5n2tiOHp+vAF1aGrQ5ovTG01oOTGwnWL"
    "ox33WWd1RvMc+QQ=\n"
)


def test_the_specifications_example_verifies() -> None:
    text, names = open_note(SPEC_NOTE, [Verifier.parse(SPEC_KEY)])
    assert (text, names) == ("This is an example message.\n", ["example.com/foo"])


def test_go_checksum_database_vectors() -> None:
    signer = Signer.parse(PETER_SKEY)
    assert signer.verifier_key() == PETER_VKEY
    assert sign(TEXT, signer) == TEXT + "\n" + PETER_SIG  # Ed25519 signs deterministically
    both = TEXT + "\n" + PETER_SIG + ENOCH_SIG
    keys = [Verifier.parse(PETER_VKEY), Verifier.parse(ENOCH_VKEY)]
    assert open_note(both, keys) == (TEXT, ["PeterNeumann", "EnochRoot"])
    assert open_note(both, keys[:1]) == (TEXT, ["PeterNeumann"])  # unknown keys are ignored


def test_a_key_whose_base64_holds_a_plus() -> None:
    # transparency-dev/formats' note tests: the "+" of base64 is not a separator.
    assert (
        Verifier.parse("TEST+7997405c+AQcC+FTVKf0jlTdHDY3rbevmnKxxPjigCXlVtGe6RIr6").name == "TEST"
    )


def test_a_new_key_signs_what_it_verifies() -> None:
    skey, vkey = generate("hailong.example/log")
    assert vkey.startswith("hailong.example/log+")
    note = sign("hailong.example/log\n3\nabc=\n", Signer.parse(skey))
    assert open_note(note, [Verifier.parse(vkey)])[1] == ["hailong.example/log"]


@pytest.mark.parametrize(
    "note",
    [
        TEXT + "\n" + PETER_SIG.replace("x08go", "x08gp"),  # a changed signature
        TEXT.replace("problem,", "problem;") + "\n" + PETER_SIG,  # a changed text
        TEXT + "\n" + ENOCH_SIG,  # signed by nobody trusted
        TEXT + PETER_SIG,  # no blank line
        TEXT + "\n" + PETER_SIG.replace("\u2014", "-"),  # not an em dash
        TEXT + "\n" + "\u2014 PeterNeumann !!!\n",  # not base64
    ],
)
def test_forged_or_malformed_notes_are_refused(note: str) -> None:
    with pytest.raises(NoteError):
        open_note(note, [Verifier.parse(PETER_VKEY)])


@pytest.mark.parametrize(
    "vkey",
    [
        PETER_VKEY[:-2],
        PETER_VKEY.replace("c74f20a3", "c74f20a4"),
        "Peter Neumann+c74f20a3+ARpc2QcUPDhMQegwxbzhKqiBfsVkmqq/LDE4izWy10TW",
        "PeterNeumann+c74f20a3",
    ],
)
def test_mangled_keys_are_refused(vkey: str) -> None:
    with pytest.raises(NoteError):
        Verifier.parse(vkey)
