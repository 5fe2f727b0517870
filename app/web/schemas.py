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
