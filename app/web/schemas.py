from __future__ import annotations

from pydantic import BaseModel, ConfigDict, Field, StrictInt


class ResponseCreate(BaseModel):
    """A ballot from a kiosk, tablet or one-stop software."""

    model_config = ConfigDict(
        extra="forbid",
        json_schema_extra={
            "examples": [
                {
                    "answers": {
                        "polite": 5,
                        "attentive": 4,
                        "answers_fully": 4,
                        "guides_thoroughly": 5,
                        "easy_to_understand": 4,
                        "complies": 5,
                    },
                    "comment": "Cán bộ nhiệt tình.",
                    "counter": 1,
                    "survey": "cong-chuc",
                }
            ]
        },
    )

    answers: dict[str, StrictInt | None] = Field(
        description="Question key → level value on the survey's scale; null leaves an "
        "optional question unanswered."
    )
    comment: str | None = Field(default=None, max_length=5000)
    counter: StrictInt | None = None
    survey: str | None = Field(
        default=None, description="The survey key the client rendered; checked if given."
    )
    cast_at_ms: StrictInt | None = Field(
        default=None,
        ge=0,
        le=2**53,
        description="A kiosk's rating sent late from its offline queue: when it was cast "
        "(Unix milliseconds, the kiosk's clock). Needs the kiosk's token, an Idempotency-Key, "
        "`survey`, `survey_version` and `signature`; the ballot counts in the period it was cast.",
    )
    survey_version: StrictInt | None = Field(
        default=None,
        ge=1,
        le=2**31 - 1,
        description="A queued rating: the survey version it was cast on.",
    )
    signature: str | None = Field(
        default=None,
        max_length=64,
        description="A queued rating: HMAC-SHA-256 under the kiosk's own secret (base64url) "
        'of the JSON array ["hailong kiosk ballot v1", key, cast_at_ms, survey, '
        'survey_version, [[question, value]… sorted], comment or ""].',
    )
