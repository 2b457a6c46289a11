"""Who the calling user is, by name: owners name users, the config names the caller by id.

Save Flow needs the caller among a flow's owners (reference §1: Save needs the owner); a flow
saved with owners that leave it out cannot be saved by it again (62103). So the mapping checks
every flow's owners against the caller's name: `[target] user_name`, or, for the embedded
emulator, the name its configuration gives `user_id`.
"""

from __future__ import annotations

from migrate.config import EMBEDDED, Settings


def with_caller_name(settings: Settings) -> Settings:
    """The settings with `target.user_name` filled when it can be known."""
    target = settings.target
    if target.user_name is not None or target.url != EMBEDDED or target.emulator_config is None:
        return settings
    from migrate.emulator.config import load_emulator_config

    users = {user.user_id: user.name for user in load_emulator_config(target.emulator_config).users}
    name = users.get(target.user_id)
    if name is None:
        return settings  # the emulator refuses an unknown user with its own answer (62101)
    return settings.model_copy(update={"target": target.model_copy(update={"user_name": name})})


def caller_note(settings: Settings) -> str | None:
    """What a plan says when the caller's name is unknown: owners were not checked."""
    if settings.target.user_name is not None:
        return None
    return ("owners were not checked against the calling user (set [target] user_name to the name owners use for "
            f"user {settings.target.user_id}): a flow whose owners leave it out is refused by Save (62103)")
