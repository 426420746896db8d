"""Form fields shared by the apps' forms."""

from __future__ import annotations

from django import forms
from django.core.validators import MaxLengthValidator


class LongTextField(forms.CharField):
    """Text with a length limit that is *refused*, never cut.

    A plain ``max_length`` puts ``maxlength`` on the control and the browser
    silently truncates a long paste. This field leaves the control alone,
    publishes the limit as ``data-limit`` (static/js/app.js shows a live
    counter from it, ``_field.html`` renders its first state) and refuses an
    over-long value with a message saying by how much it is over.
    """

    def __init__(self, *, max_length: int, **kwargs) -> None:
        self.limit = max_length  # before super(): it calls widget_attrs()
        super().__init__(**kwargs)
        self.validators.append(_LengthValidator(max_length))

    def widget_attrs(self, widget):
        attrs = super().widget_attrs(widget)
        attrs["data-limit"] = str(self.limit)
        return attrs


class _LengthValidator(MaxLengthValidator):
    def __call__(self, value) -> None:
        length = len(value or "")
        if length > self.limit_value:
            raise forms.ValidationError(
                f"This is {length:,} characters long; the limit is {self.limit_value:,}. "
                f"Shorten it by {length - self.limit_value:,} characters; your text is kept as it was.",
                code="max_length",
            )
