"""The `chargeplane` command: one binary, a subcommand per runtime (DESIGN.md §4)."""

from __future__ import annotations

import importlib

import click

# Subcommands are imported on first use so `chargeplane run` never pays for kopf et al.
_LAZY = {
    "run": ("chargeplane.runtime.cli", "run"),
    "serve": ("chargeplane.runtime.cli", "serve"),
    "migrate": ("chargeplane.runtime.cli", "migrate"),
    "token": ("chargeplane.runtime.token_cli", "token"),
    "operator": ("chargeplane.operator.cli", "operator"),
    "sim": ("chargeplane.sim.cli", "sim"),
}


class LazyGroup(click.Group):
    def list_commands(self, ctx: click.Context) -> list[str]:
        return sorted({*super().list_commands(ctx), *_LAZY})

    def get_command(self, ctx: click.Context, cmd_name: str) -> click.Command | None:
        if cmd_name in _LAZY:
            module_name, attr = _LAZY[cmd_name]
            try:
                module = importlib.import_module(module_name)
            except ModuleNotFoundError as exc:
                if exc.name and module_name.startswith(exc.name):
                    return None  # that component is not part of this build yet
                raise
            command = getattr(module, attr)
            assert isinstance(command, click.Command)
            return command
        return super().get_command(ctx, cmd_name)


@click.group(cls=LazyGroup)
@click.version_option(package_name="chargeplane")
def main() -> None:
    """chargeplane: a Kubernetes-native CSMS for OCPP 1.6J and 2.0.1."""


if __name__ == "__main__":
    main()
