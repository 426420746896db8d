"""The `users` table of the seed, as Django's user model.

The seed has no `is_staff` column and no permission tables, so staff access
is the seed's `is_superuser`: operators are superusers, everyone else a writer.
Columns the seed leaves nullable stay nullable in PostgreSQL; Python-side
defaults mirror the database defaults so unsaved objects read sensibly.
"""

from __future__ import annotations

from django.contrib.auth.base_user import AbstractBaseUser, BaseUserManager
from django.db import models
from django.db.models.functions import Lower

from accounts.tiers import DEFAULT_TIER, SubscriptionTier, tier_for
from narraforge.models import SeedModel, choice_check


class UserManager(BaseUserManager["User"]):
    use_in_migrations = True

    def get_by_natural_key(self, username: str) -> User:
        # Email is unique regardless of case, so log-in is case-insensitive too.
        return self.get(email__iexact=username)

    def _create(self, email: str, password: str | None, **extra) -> User:
        if not email:
            raise ValueError("An email address is required.")
        user = self.model(email=self.normalize_email(email).lower(), **extra)
        user.set_password(password)
        user.full_clean(exclude=["password"], validate_unique=True)
        user.save(using=self._db)
        return user

    def create_user(self, email: str, password: str | None = None, **extra) -> User:
        extra.setdefault("is_superuser", False)
        return self._create(email, password, **extra)

    def create_superuser(self, email: str, password: str | None = None, **extra) -> User:
        extra["is_superuser"] = True
        extra.setdefault("is_verified", True)
        return self._create(email, password, **extra)


class User(SeedModel, AbstractBaseUser):
    email = models.CharField(max_length=255, help_text="Used to log in; unique regardless of case.")
    password = models.CharField(max_length=255, null=True, blank=True, db_column="hashed_password")
    is_active = models.BooleanField(null=True, default=True, db_default=True)
    is_verified = models.BooleanField(null=True, default=False, db_default=False)
    is_superuser = models.BooleanField(
        null=True,
        default=False,
        db_default=False,
        verbose_name="staff (superuser)",
        help_text="Operators: full access to the admin and staff pages.",
    )

    oauth_provider = models.CharField(max_length=50, null=True, blank=True)
    oauth_id = models.CharField(max_length=255, null=True, blank=True)

    full_name = models.CharField(max_length=255, null=True, blank=True)
    avatar_url = models.URLField(max_length=500, null=True, blank=True)

    subscription_tier = models.CharField(
        max_length=20,
        choices=SubscriptionTier.choices,
        null=True,
        default=SubscriptionTier.FREE,
        db_default=SubscriptionTier.FREE,
    )
    subscription_ends_at = models.DateTimeField(null=True, blank=True)

    # NULL limits mean unlimited (the enterprise tier).
    monthly_generation_limit = models.IntegerField(
        null=True, blank=True, default=DEFAULT_TIER.generation_limit, db_default=5
    )
    monthly_generations_used = models.IntegerField(null=True, default=0, db_default=0)
    monthly_cost_limit_usd = models.FloatField(
        null=True, blank=True, default=DEFAULT_TIER.cost_limit_usd, db_default=10.0
    )
    monthly_cost_used_usd = models.FloatField(null=True, default=0.0, db_default=0.0)

    last_login = models.DateTimeField(null=True, blank=True, db_column="last_login_at")

    objects = UserManager()

    USERNAME_FIELD = "email"
    EMAIL_FIELD = "email"
    REQUIRED_FIELDS: list[str] = []

    class Meta:
        db_table = "users"
        ordering = ["email"]
        constraints = [
            # The seed's UNIQUE; as a named constraint so Django adds no
            # extra varchar_pattern_ops index beside idx_users_email.
            models.UniqueConstraint(fields=["email"], name="users_email_key"),
            models.UniqueConstraint(
                Lower("email"),
                name="users_email_ci_unique",
                violation_error_message="A user with this email address already exists.",
            ),
            choice_check("subscription_tier", SubscriptionTier, table="users", nullable=True),
        ]
        indexes = [
            models.Index(fields=["email"], name="idx_users_email"),
            models.Index(fields=["oauth_provider", "oauth_id"], name="idx_users_oauth"),
        ]

    def __str__(self) -> str:
        return self.email

    def clean(self) -> None:
        super().clean()
        if self.email:
            self.email = self.__class__.objects.normalize_email(self.email).lower()

    # The seed has no is_staff: staff are its superusers.
    @property
    def is_staff(self) -> bool:
        return bool(self.is_active and self.is_superuser)

    def has_perm(self, perm: str, obj=None) -> bool:
        return self.is_staff

    def has_perms(self, perm_list, obj=None) -> bool:
        return self.is_staff

    def has_module_perms(self, app_label: str) -> bool:
        return self.is_staff

    def get_full_name(self) -> str:
        return self.full_name or self.email

    def get_short_name(self) -> str:
        return (self.full_name or self.email).split(" ")[0]

    @property
    def tier(self):
        return tier_for(self.subscription_tier or SubscriptionTier.FREE)


# Registered with the accounts app from its own module (it is not a seed table).
from accounts.upgrades import UpgradeRequest, UpgradeStatus  # noqa: E402, F401
