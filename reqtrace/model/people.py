"""Who takes part: vendors competing for the contract and the tool's users."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import UniqueConstraint
from sqlmodel import Field, SQLModel

from reqtrace.model.types import SlugList, utcnow


class Vendor(SQLModel, table=True):
    __tablename__ = "vendor"
    __table_args__ = (UniqueConstraint("project_id", "slug", name="uq_vendor_slug"),)

    id: int | None = Field(default=None, primary_key=True)
    project_id: int = Field(foreign_key="project.id", index=True)
    slug: str = Field(max_length=40)
    name: str = Field(max_length=200)
    product: str = Field(default="", max_length=200)
    deployment: str = Field(max_length=20)
    sandbox_url: str = Field(default="", max_length=500)
    flags: list = Field(default_factory=list, sa_type=SlugList)
    cost_5y: float | None = None  # five-year cost of ownership, in the project's currency
    notes: str = ""
    version: int = 1
    created_at: datetime = Field(default_factory=utcnow)


class User(SQLModel, table=True):
    __tablename__ = "user_account"  # "user" is reserved in PostgreSQL

    id: int | None = Field(default=None, primary_key=True)
    username: str = Field(max_length=80, unique=True, index=True)
    display_name: str = Field(default="", max_length=200)
    role: str = Field(max_length=20)
    password_hash: str = Field(max_length=300)
    active: bool = True
    created_at: datetime = Field(default_factory=utcnow)
    last_login_at: datetime | None = None


class LoginSession(SQLModel, table=True):
    """One signed-in browser: its cookie carries a random token, the database only that token's hash.

    The session cookie is signed, not stored, so without this row a copied cookie would keep working after
    logout until it expires. Logging out ends the row; a new password ends every row of that user.
    """

    __tablename__ = "login_session"

    id: int | None = Field(default=None, primary_key=True)
    user_id: int = Field(foreign_key="user_account.id", index=True)
    token_hash: str = Field(max_length=64, unique=True)
    created_at: datetime = Field(default_factory=utcnow)
    ended_at: datetime | None = None
    ended_why: str = Field(default="", max_length=20)  # logout, password, ended by an admin


class LoginGuess(SQLModel, table=True):
    """A password about to be checked (a login, or the current password on the account page).

    Kept in the database, not in the server process, so that every worker of a server counts the same
    guesses: with four workers an attacker would otherwise get four times the allowance. A right password
    removes the guesses of its (address, username); the rest are forgotten once older than the window.
    """

    __tablename__ = "login_guess"

    id: int | None = Field(default=None, primary_key=True)
    address: str = Field(max_length=100, index=True)
    username: str = Field(max_length=200, index=True)  # as typed, in lower case: unknown names count too
    at: datetime = Field(default_factory=utcnow, index=True)
