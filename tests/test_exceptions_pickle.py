"""Every exception class the project defines survives pickle (Ray sends a worker's exception to the driver pickled)."""

from __future__ import annotations

import importlib
import inspect
import pickle
import pkgutil
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
PACKAGES = sorted(p.parent.name for p in ROOT.glob("*/__init__.py") if p.parent.name != "tests")


def _project_exceptions() -> list[type[BaseException]]:
    found = {}
    for package in PACKAGES:
        module = importlib.import_module(package)
        names = [package] + [m.name for m in pkgutil.walk_packages(module.__path__, prefix=f"{package}.")]
        for name in names:
            mod = importlib.import_module(name)
            for _, cls in inspect.getmembers(mod, inspect.isclass):
                if issubclass(cls, BaseException) and cls.__module__ == name:
                    found[f"{cls.__module__}.{cls.__qualname__}"] = cls
    return [found[k] for k in sorted(found)]


EXCEPTIONS = _project_exceptions()


def _instance(cls: type[BaseException]) -> BaseException:
    """An instance built from string arguments, one per required parameter (all our exceptions take text)."""
    try:
        signature = inspect.signature(cls)
    except ValueError:  # a builtin exception's constructor: one message
        return cls("message text")
    params = [
        p
        for p in signature.parameters.values()
        if p.default is p.empty and p.kind in (p.POSITIONAL_ONLY, p.POSITIONAL_OR_KEYWORD)
    ]
    return cls(*[f"{p.name} text" for p in params] or ["message text"])


def test_the_exceptions_are_found():
    names = {cls.__name__ for cls in EXCEPTIONS}
    assert {"IllegalMoveError", "CheckpointError", "ConfigError", "GtpError", "WorkerFailure"} <= names
    assert len([cls for cls in EXCEPTIONS if cls.__name__ == "IllegalMoveError"]) == 2  # Go and tic-tac-toe


@pytest.mark.parametrize("cls", EXCEPTIONS, ids=lambda c: f"{c.__module__}.{c.__name__}")
def test_exception_pickle_round_trip(cls):
    exc = _instance(cls)
    back = pickle.loads(pickle.dumps(exc))
    assert type(back) is cls
    assert str(back) == str(exc) and back.args == exc.args
    assert vars(back) == vars(exc)  # attributes such as IllegalMoveError.reason survive


def test_illegal_move_error_from_the_issue():
    from games.go import IllegalMoveError

    back = pickle.loads(pickle.dumps(IllegalMoveError("off board", "x")))
    assert back.reason == "off board" and str(back) == "x"
