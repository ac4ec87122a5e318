"""A serving process (a gunicorn worker, the benchmark's in-process requests) freezes what it
loaded and collects a request's reference cycles when its response is finished, not in the
middle of a later request (core/collector.py)."""

import gc
import runpy
import weakref
from pathlib import Path

import pytest
from django.core.signals import request_started
from django.test import Client

from core import collector

pytestmark = pytest.mark.django_db

GUNICORN_CONF = Path(__file__).resolve().parents[2] / "gunicorn.conf.py"


class Node:
    """An object in a reference cycle: only the collector frees it."""

    def __init__(self):
        self.me = self


@pytest.fixture
def automatic_collection_off():
    """The collector's own thresholds never fire here: what is collected is collected by
    the code under test."""
    was_enabled = gc.isenabled()
    gc.disable()
    yield
    if was_enabled:
        gc.enable()


@pytest.fixture
def serving_process():
    collector.prepare_serving_process()
    yield
    collector.stop_serving_process()


def _cycle_made_during_a_request(path: str = "/") -> weakref.ref:
    made: list[weakref.ref] = []

    def make_cycle(sender, **kwargs):
        made.append(weakref.ref(Node()))  # unreachable at once, but in a cycle

    request_started.connect(make_cycle, weak=False)
    try:
        response = Client().get(path)  # the test client finishes (closes) the response
    finally:
        request_started.disconnect(make_cycle)
    assert response.status_code == 200
    return made[0]


def test_a_requests_cycles_are_freed_when_its_response_is_finished(
        automatic_collection_off, serving_process):
    assert _cycle_made_during_a_request()() is None
    assert gc.get_freeze_count() > 0  # what was loaded before: out of the collector's reach


def test_elsewhere_nothing_is_collected_after_a_response(automatic_collection_off):
    """Tests, the development server, Celery: no freeze, no collection after each response
    (it would walk every object of the process)."""
    cycle = _cycle_made_during_a_request()
    assert isinstance(cycle(), Node)
    gc.collect()
    assert cycle() is None


def test_stopping_undoes_the_preparation(automatic_collection_off):
    collector.prepare_serving_process()
    collector.stop_serving_process()
    assert gc.get_freeze_count() == 0
    assert isinstance(_cycle_made_during_a_request()(), Node)


def test_gunicorn_workers_prepare_themselves_after_the_fork(automatic_collection_off):
    post_fork = runpy.run_path(str(GUNICORN_CONF))["post_fork"]
    try:
        post_fork(server=None, worker=None)
        assert gc.get_freeze_count() > 0
        assert _cycle_made_during_a_request()() is None
    finally:
        collector.stop_serving_process()
