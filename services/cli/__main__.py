"""`speechflow ...` / `python -m services.cli ...`: parse, run one command, map errors to
exit codes. Errors print the server's message, never a traceback."""

from __future__ import annotations

import sys
from collections.abc import Sequence

import grpc

from services.cli.context import Context
from services.cli.credentials import CredentialStore, config_directory
from services.cli.errors import CliError, ExitCode, from_rpc_error
from services.cli.output import Output
from services.cli.parser import build_parser
from services.cli.server import ServerAddress


def main(argv: Sequence[str] | None = None) -> int:
    parser = build_parser()
    try:
        args = parser.parse_args(argv)
    except SystemExit as exit_request:  # --help, or a usage error already printed
        return exit_request.code if isinstance(exit_request.code, int) else ExitCode.USAGE
    if args.command is None:
        parser.print_help(sys.stderr)
        return ExitCode.USAGE
    output = Output(json_mode=args.json)
    try:
        server = ServerAddress.choose(args.server)
    except CliError as error:
        output.error(error)
        return error.exit_code
    context = Context(server, output, CredentialStore(config_directory()))
    try:
        return int(args.handler(args, context))
    except CliError as error:
        output.error(error)
        return error.exit_code
    except grpc.RpcError as error:
        problem = from_rpc_error(error, server.url)
        output.error(problem)
        return problem.exit_code
    except OSError as error:
        problem = CliError(f"{error.strerror or error}: {error.filename or ''}".rstrip(": "))
        output.error(problem)
        return problem.exit_code
    except KeyboardInterrupt:
        output.error(CliError("Interrupted.", ExitCode.INTERRUPTED))
        return ExitCode.INTERRUPTED
    finally:
        context.close()


if __name__ == "__main__":
    sys.exit(main())
