"""The pipeline page's actions: form fields in, the API's request models and rules applied,
errors placed next to the fields they concern with the API's own messages."""

from dataclasses import dataclass, field
from typing import Any
from urllib.parse import parse_qs

from pydantic import BaseModel, ValidationError

THRESHOLD_FIELDS = (
    "timeliness_number",
    "timeliness_datepart",
    "freshness_number",
    "freshness_datepart",
)


def parse_form(body: bytes) -> dict[str, str]:
    """An application/x-www-form-urlencoded body; the last value of a repeated field wins."""
    fields = parse_qs(body.decode("utf-8", errors="replace"), keep_blank_values=True)
    return {name: values[-1] for name, values in fields.items()}


@dataclass
class FormErrors:
    """Messages by field name; `general` for those no single field owns."""

    fields: dict[str, str] = field(default_factory=dict)
    general: list[str] = field(default_factory=list)
    values: dict[str, str] = field(default_factory=dict)

    def __bool__(self) -> bool:
        return bool(self.fields or self.general)

    def near(self, prefix: str) -> list[str]:
        """Messages about a group of fields (`freshness`): its fields' and the model's own."""
        own = [message for name, message in self.fields.items() if name.startswith(prefix)]
        return own + [m for m in self.general if m.startswith(prefix) or f" {prefix}_" in m]


def api_message(error: dict[str, Any]) -> str:
    """One validation error worded as the API words it (see errors._describe)."""
    location = ".".join(str(part) for part in error.get("loc", ()) if part != "body")
    text = str(error.get("msg", "")).removeprefix("Value error, ")
    return f"{location}: {text}" if location else text


def validate(
    model: type[BaseModel], values: dict[str, Any], sent: dict[str, str]
) -> tuple[BaseModel | None, FormErrors]:
    """The request model of the API, or the errors it gives for these values."""
    try:
        return model.model_validate(values), FormErrors()
    except ValidationError as exc:
        errors = FormErrors(values=sent)
        for error in exc.errors():
            location = [part for part in error.get("loc", ()) if part != "body"]
            message = api_message(error)
            if location and str(location[0]) in sent:
                errors.fields.setdefault(str(location[0]), message)
            else:
                errors.general.append(message)
        return None, errors


def as_json(text: str | None) -> Any:
    """A form field as a JSON client would send it: empty is null, an integer is a number,
    anything else stays text (and the API's model says what is wrong with it)."""
    text = (text or "").strip()
    if not text:
        return None
    digits = text.removeprefix("-")
    return int(text) if digits.isdigit() and len(digits) < 20 else text


def blank_is_none(sent: dict[str, str], names: tuple[str, ...]) -> dict[str, Any]:
    """Form fields as a PATCH sends them: an empty field clears the setting (null)."""
    return {name: as_json(sent.get(name)) for name in names}


def switch(sent: dict[str, str], name: str) -> bool | None:
    value = sent.get(name)
    return {"true": True, "false": False}.get(value or "")
