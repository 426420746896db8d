"""Profile form, the reset-link check and the upgrade request."""

from allauth.account.forms import UserTokenForm
from django import forms

from accounts.adapters import url_to_user_id
from accounts.models import User
from accounts.tiers import TIERS, tiers_above
from accounts.upgrades import MAX_UPGRADE_NOTE
from narraforge.fields import LongTextField
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


class UpgradeRequestForm(CleanInputMixin, forms.Form):
    """Ask for a bigger plan; the choices are only the tiers above the writer's own."""

    tier = forms.ChoiceField(label="Plan", widget=forms.RadioSelect)
    note = LongTextField(
        label="Anything staff should know",
        required=False,
        max_length=MAX_UPGRADE_NOTE,
        widget=forms.Textarea(
            attrs={"rows": 3, "placeholder": "What you are working on, how much you need…"}
        ),
        help_text="Optional.",
    )

    def __init__(self, *args, user, **kwargs) -> None:
        super().__init__(*args, **kwargs)
        above = tiers_above(user.subscription_tier or "free")
        self.fields["tier"].choices = [(name, TIERS[name].label) for name in above]
        if above:
            self.fields["tier"].initial = above[0]
        self.fields["tier"].error_messages["invalid_choice"] = "Choose one of the bigger plans listed here."


class ResetTokenForm(UserTokenForm):
    """allauth's reset-link check, reading the 32-hex uid our reset links carry (see adapters)."""

    def _get_user(self, uidb36):
        user_id = url_to_user_id(uidb36 or "")
        return User.objects.filter(pk=user_id, is_active=True).first() if user_id else None
