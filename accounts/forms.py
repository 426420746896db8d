"""Profile form (the two fields a writer edits about themselves) and the reset-link check."""

from allauth.account.forms import UserTokenForm
from django import forms

from accounts.adapters import url_to_user_id
from accounts.models import User
from narraforge.forms import CleanInputMixin


class ProfileForm(CleanInputMixin, forms.ModelForm):
    class Meta:
        model = User
        fields = ("full_name", "avatar_url")
        labels = {"full_name": "Name", "avatar_url": "Avatar image URL"}
        help_texts = {
            "full_name": "Shown in the header and on your exports.",
            "avatar_url": "An https:// link to a square image. Leave empty to use your initial.",
        }
        widgets = {
            "full_name": forms.TextInput(attrs={"autocomplete": "name"}),
            "avatar_url": forms.URLInput(attrs={"placeholder": "https://"}),
        }

    def clean_full_name(self) -> str | None:
        return (self.cleaned_data.get("full_name") or "").strip() or None

    def clean_avatar_url(self) -> str | None:
        url = (self.cleaned_data.get("avatar_url") or "").strip()
        if url and not url.startswith("https://"):
            raise forms.ValidationError("Use an https:// address so the image loads securely.")
        return url or None


class ResetTokenForm(UserTokenForm):
    """allauth's reset-link check, reading the 32-hex uid our reset links carry (see adapters)."""

    def _get_user(self, uidb36):
        user_id = url_to_user_id(uidb36 or "")
        return User.objects.filter(pk=user_id, is_active=True).first() if user_id else None
