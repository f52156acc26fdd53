"""`handoff serve`: the app under Streamlit, from a checkout or an installed copy, with
Handoff's own Streamlit settings wherever it is started.

Streamlit reads `.streamlit/config.toml` from the folder it is started in, which for an
installed copy is not Handoff's; so the settings of Handoff's own file (handoff.paths.APP_DIR)
are passed as command-line options, and the address and port as given. Served on an address
other than this machine's own (127.0.0.1, ::1, localhost) without sign-in, anyone who can reach
it reads every lead and deal: that needs `--open-without-sign-in`, and a warning says what it
means (uploads and imports stay refused to other machines: handoff.safe). With sign-in set up
(an `[auth]` section in a secrets file Streamlit reads: `sign_in_secrets`), every page asks
for sign-in first (handoff.access), so any address may be served.
"""

from __future__ import annotations

import ipaddress
import os
import shutil
import sys
import tomllib
from pathlib import Path

from handoff import paths

# Options given by `serve` itself, not taken from the settings file.
_OWN = {"server.address", "server.port"}


class ServeRefused(ValueError):
    """Serving as asked is refused; the message says why and what to give instead."""


def is_loopback(address: str) -> bool:
    """True for this machine's own addresses: 127.0.0.0/8, ::1 and localhost."""
    if address == "localhost":
        return True
    try:
        return ipaddress.ip_address(address).is_loopback
    except ValueError:
        return False


def config_options(config: Path) -> list[str]:
    """The settings file as Streamlit command-line options: `--section.key value`, in file
    order, except the address and port (given by `serve`)."""
    with config.open("rb") as f:
        data = tomllib.load(f)
    options = []

    def add(prefix: str, values: dict) -> None:
        for key, value in values.items():
            name = f"{prefix}.{key}"
            if isinstance(value, dict):  # a nested table: [theme.light] is --theme.light.<key>
                add(name, value)
            elif name not in _OWN:
                text = str(value).lower() if isinstance(value, bool) else str(value)
                options.extend([f"--{name}", text])

    for section, values in data.items():
        add(section, values)
    return options


def secrets_files() -> list[Path]:
    """The secrets files Streamlit reads for an app started here: the user's, the working
    folder's and the app's own (`.streamlit/secrets.toml` in each)."""
    found = [Path.home(), Path.cwd(), paths.APP_DIR]
    return list(dict.fromkeys(folder / ".streamlit" / "secrets.toml" for folder in found))


def sign_in_secrets(files: list[Path] | None = None) -> Path | None:
    """The first secrets file with an `[auth]` section (sign-in is on); None without one."""
    for path in secrets_files() if files is None else files:
        try:
            with path.open("rb") as f:
                if isinstance(tomllib.load(f).get("auth"), dict):
                    return path
        except (OSError, tomllib.TOMLDecodeError):
            continue
    return None


def command(address: str, port: int) -> list[str]:
    """The Streamlit command that serves the app."""
    app = paths.APP_DIR / "app.py"
    options = config_options(paths.APP_DIR / ".streamlit" / "config.toml")
    return [
        sys.executable,
        "-m",
        "streamlit",
        "run",
        str(app),
        *options,
        "--server.address",
        address,
        "--server.port",
        str(port),
    ]


def prepare(
    address: str,
    port: int,
    db: Path | None,
    agreement: Path | None,
    open_without_sign_in: bool,
    say=print,
) -> tuple[list[str], dict[str, str]]:
    """The command and environment that serve the app as asked, or ServeRefused. An installed
    copy started without an agreement gets the shipped one copied to data/agreement.toml of the
    folder it runs in, where the Definitions page's editor can change it."""
    if not 0 < port < 65536:
        raise ServeRefused(f"--port {port}: a port is 1 to 65535")
    signed = sign_in_secrets()
    if signed is not None:
        say(f"Sign-in is on ({signed}): every page asks for it (README, Sign-in and roles).")
    elif not is_loopback(address):
        if not open_without_sign_in:
            raise ServeRefused(
                f"serving on {address} without sign-in lets anyone who can reach it read every "
                "lead, deal and revenue figure. Set up sign-in (README, Sign-in and roles), "
                "keep the default 127.0.0.1 behind a reverse proxy that signs people in (README, "
                "Deploying), or give --open-without-sign-in to do it anyway"
            )
        say(
            f"warning: serving on {address} without sign-in: anyone who can reach port {port} "
            "reads every page. Uploads, imports and agreement edits stay refused to other "
            "machines."
        )
    env = dict(os.environ)
    if db is not None:
        env["HANDOFF_DB"] = str(db.resolve())
    if agreement is not None:
        env["HANDOFF_AGREEMENT"] = str(agreement.resolve())
    elif "HANDOFF_AGREEMENT" not in env and not paths.DEFAULT_AGREEMENT.is_file():
        paths.DEFAULT_AGREEMENT.parent.mkdir(parents=True, exist_ok=True)
        shutil.copyfile(paths.SHIPPED_AGREEMENT, paths.DEFAULT_AGREEMENT)
        say(
            f"Copied the shipped agreement to {paths.DEFAULT_AGREEMENT.resolve()}: edit it (or "
            "the Definitions page) to say what your teams agreed."
        )
    return command(address, port), env


def serve(command_line: list[str], env: dict[str, str]) -> None:
    """Become the Streamlit server (so a service manager's stop signal reaches it)."""
    sys.stdout.flush()
    sys.stderr.flush()
    os.execve(command_line[0], command_line, env)  # noqa: S606  (our own interpreter, no shell)
