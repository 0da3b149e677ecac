"""`register`, `login`, `logout`, `whoami`, `account password`."""

from __future__ import annotations

import argparse
import getpass
import os
import sys

import grpc
from google.protobuf.field_mask_pb2 import FieldMask

from services.cli.commands import Commands
from services.cli.context import Context
from services.cli.errors import CliError, ExitCode, from_rpc_error, status_of
from services.cli.output import message_to_dict
from services.cli.session import UNARY_TIMEOUT_SECONDS
from services.cli.views import user_line
from speechflow.auth.v1 import auth_pb2
from speechflow.library.v1 import library_pb2

PASSWORD_ENVIRONMENT_VARIABLE = "SPEECHFLOW_PASSWORD"
NEW_PASSWORD_ENVIRONMENT_VARIABLE = "SPEECHFLOW_NEW_PASSWORD"


def add_commands(commands: Commands) -> None:
    credentials = argparse.ArgumentParser(add_help=False)
    credentials.add_argument("--email", help="account email (prompted for when omitted)")
    credentials.add_argument(
        "--password-stdin",
        action="store_true",
        help=f"read the password from stdin (or set {PASSWORD_ENVIRONMENT_VARIABLE})",
    )
    commands.add(
        "login",
        login_command,
        help="sign in and save the session",
        options=[credentials],
    )
    register = commands.add(
        "register",
        register_command,
        help="create an account and sign in",
        options=[credentials],
    )
    register.add_argument("--name", default="", help="your display name")
    commands.add("logout", logout_command, help="end the session")
    commands.add("whoami", whoami_command, help="show the signed-in user")

    account = commands.group("account", help="manage your account")
    password = account.add(
        "password",
        change_password_command,
        help="change your password (signs out every other device)",
        description=(
            "Prompts for the current and the new password without echo. Scripts: set "
            f"{PASSWORD_ENVIRONMENT_VARIABLE} and {NEW_PASSWORD_ENVIRONMENT_VARIABLE}, or pass "
            "--password-stdin and send the current and the new password on two lines."
        ),
    )
    password.add_argument(
        "--password-stdin",
        action="store_true",
        help="read the current password, then the new one, one per line of stdin",
    )
    vocabulary = account.add(
        "vocabulary",
        vocabulary_command,
        help="names and terms every upload's recognizer is taught (show, add, remove)",
        description="Without options, shows your vocabulary. Each upload's own --hotwords come "
        "first, then these.",
    )
    vocabulary.add_argument("--add", action="append", default=[], metavar="TERM")
    vocabulary.add_argument("--remove", action="append", default=[], metavar="TERM")
    vocabulary.add_argument("--clear", action="store_true", help="remove every term first")


def login_command(args: argparse.Namespace, context: Context) -> int:
    email = _email(args)
    password = _password(args, confirm=False)
    try:
        response = context.session.auth.Login(
            auth_pb2.LoginRequest(email=email, password=password),
            timeout=UNARY_TIMEOUT_SECONDS,
        )
    except grpc.RpcError as error:
        raise _without_login_hint(from_rpc_error(error, context.server.url)) from None
    return _signed_in(context, response.user, response.tokens, "Signed in")


def register_command(args: argparse.Namespace, context: Context) -> int:
    email = _email(args)
    password = _password(args, confirm=True)
    response = context.session.auth.Register(
        auth_pb2.RegisterRequest(email=email, password=password, name=args.name),
        timeout=UNARY_TIMEOUT_SECONDS,
    )
    return _signed_in(context, response.user, response.tokens, "Welcome! Signed in")


def _signed_in(
    context: Context, user: auth_pb2.User, tokens: auth_pb2.Tokens, greeting: str
) -> int:
    context.session.remember(user.email, tokens)
    return _user_answer(context, user, f"{greeting} to {context.server.url} as {user_line(user)}")


def _user_answer(context: Context, user: auth_pb2.User, text: str) -> int:
    """Who is signed in where: `{server, user}` in --json mode, otherwise `text`."""
    context.output.result({"server": context.server.url, "user": message_to_dict(user)}, text)
    return ExitCode.OK


def logout_command(args: argparse.Namespace, context: Context) -> int:
    if context.store.load() is None:
        context.output.result({"signed_out": False}, "You were not signed in.")
        return ExitCode.OK
    credentials = context.session.saved_credentials()
    # Forget the tokens here whatever the server says: the user asked for it.
    context.store.delete()
    try:
        context.session.auth.Logout(
            auth_pb2.LogoutRequest(refresh_token=credentials.refresh_token),
            timeout=UNARY_TIMEOUT_SECONDS,
        )
    except grpc.RpcError as error:
        # UNAUTHENTICATED: the session had already ended on the server.
        if status_of(error) is not grpc.StatusCode.UNAUTHENTICATED:
            problem = from_rpc_error(error, context.server.url)
            problem.message = (
                f"Signed out on this computer, but the server did not end the session: "
                f"{problem.message}"
            )
            raise problem from None
    context.output.result({"signed_out": True}, f"Signed out of {context.server.url}.")
    return ExitCode.OK


def whoami_command(args: argparse.Namespace, context: Context) -> int:
    session = context.session
    user = session.unary(session.auth.GetMe, auth_pb2.GetMeRequest()).user
    return _user_answer(context, user, f"{user_line(user)} on {context.server.url}")


def change_password_command(args: argparse.Namespace, context: Context) -> int:
    session = context.session
    email = session.saved_credentials().email
    current, new = _password_change(args)
    response = session.unary(
        session.auth.ChangePassword,
        auth_pb2.ChangePasswordRequest(current_password=current, new_password=new),
    )
    # The old sign-in ended with the change; keep the fresh one.
    session.remember(email, response.tokens)
    context.output.result(
        {"server": context.server.url, "email": email, "password_changed": True},
        f"Password changed for {email}; every other sign-in has ended.",
    )
    return ExitCode.OK


def _password_change(args: argparse.Namespace) -> tuple[str, str]:
    """(current, new) from the environment, two lines of stdin, or prompts without echo."""
    current = os.environ.get(PASSWORD_ENVIRONMENT_VARIABLE)
    new = os.environ.get(NEW_PASSWORD_ENVIRONMENT_VARIABLE)
    if current and new:
        return current, new
    if args.password_stdin:
        return sys.stdin.readline().rstrip("\r\n"), sys.stdin.readline().rstrip("\r\n")
    if not sys.stdin.isatty():
        raise CliError(
            f"No passwords: set {PASSWORD_ENVIRONMENT_VARIABLE} and "
            f"{NEW_PASSWORD_ENVIRONMENT_VARIABLE}, or pass --password-stdin.",
            ExitCode.USAGE,
        )
    current = getpass.getpass("Current password: ", stream=sys.stderr)
    new = getpass.getpass("New password: ", stream=sys.stderr)
    if getpass.getpass("Repeat new password: ", stream=sys.stderr) != new:
        raise CliError("The new passwords do not match.", ExitCode.USAGE)
    return current, new


def _email(args: argparse.Namespace) -> str:
    if args.email:
        return str(args.email)
    if not sys.stdin.isatty():
        raise CliError("Pass --email (there is no terminal to ask on).", ExitCode.USAGE)
    sys.stderr.write("Email: ")
    sys.stderr.flush()
    return sys.stdin.readline().strip()


def _password(args: argparse.Namespace, confirm: bool) -> str:
    """SPEECHFLOW_PASSWORD, else one line of stdin with --password-stdin, else a prompt.

    Never a command-line flag: arguments show up in `ps` and shell history.
    """
    from_environment = os.environ.get(PASSWORD_ENVIRONMENT_VARIABLE)
    if from_environment:
        return from_environment
    if args.password_stdin:
        return sys.stdin.readline().rstrip("\r\n")
    if not sys.stdin.isatty():
        raise CliError(
            f"No password: set {PASSWORD_ENVIRONMENT_VARIABLE} or pass --password-stdin.",
            ExitCode.USAGE,
        )
    password = getpass.getpass("Password: ", stream=sys.stderr)
    if confirm and getpass.getpass("Repeat password: ", stream=sys.stderr) != password:
        raise CliError("The passwords do not match.", ExitCode.USAGE)
    return password


def _without_login_hint(error: CliError) -> CliError:
    # "Run `speechflow login`" is no help when `speechflow login` is what just failed.
    if error.status is grpc.StatusCode.UNAUTHENTICATED:
        error.hint = None
    return error


def vocabulary_command(args: argparse.Namespace, context: Context) -> int:
    session = context.session
    terms = list(
        session.unary(
            session.library.GetPreferences, library_pb2.GetPreferencesRequest()
        ).preferences.vocabulary
    )
    if args.clear or args.add or args.remove:
        removed = {term.casefold() for term in args.remove}
        kept = [] if args.clear else [term for term in terms if term.casefold() not in removed]
        terms = list(
            session.unary(
                session.library.UpdatePreferences,
                library_pb2.UpdatePreferencesRequest(
                    preferences=library_pb2.Preferences(vocabulary=[*kept, *args.add]),
                    update_mask=FieldMask(paths=["vocabulary"]),
                ),
            ).preferences.vocabulary
        )
    context.output.result(
        {"vocabulary": terms},
        "\n".join(terms) if terms else "Your vocabulary is empty (add terms with --add).",
    )
    return ExitCode.OK
