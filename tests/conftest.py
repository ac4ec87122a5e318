"""The small named cast of every test: two communes, their people, a ministry and an admin
(their values are in tests/factories.py).

commune_a and commune_b sit in one department; commune_c in another region, far away.
"""

import os

import pytest
from django.conf import settings
from django.test import Client

from cooperatives.models import Role

from .factories import (
    AGRICULTURE,
    CASSAVA,
    COMMUNE_A,
    COMMUNE_B,
    DEPARTMENT,
    LIVESTOCK,
    MAIZE,
    MINADER,
    MINEPIA,
    ORG_A,
    ORG_B,
    POULTRY,
    REGION,
    CommuneFactory,
    DepartmentFactory,
    FiliereFactory,
    MinistryFactory,
    OrganisationFactory,
    RegionFactory,
    SectorFactory,
    make_admin,
    make_user,
)

PASSWORD = "correct horse battery"
# Tests create many users; a slow hash only measures the CPU. Applied to every test below;
# module-scoped worlds (built before it applies) use it through override_settings.
FAST_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]

# Servers and workers started by tests serve the test database under another name than the
# settings this process loaded: give them this process's cache prefix, so a write here renews
# the stamps they read.
os.environ.setdefault("CACHE_PREFIX", settings.CACHES["default"].get("KEY_PREFIX", ""))

# The fault scenarios stop PostgreSQL and Redis: only `make faults` (RELESS_FAULTS=1) runs them.
collect_ignore = [] if os.environ.get("RELESS_FAULTS") == "1" else ["faults"]

# The longest files (seconds in one process on the 2-core CI machine, from --durations): under
# pytest-xdist (`make test`: --dist loadfile --no-loadscope-reorder, files sent in this order)
# they go to the workers first. pytest-django puts transactional tests last, and these are
# transactional; xdist's own reordering sends the files with the most tests first: either way
# the page sweep (three tests) went last and ran alone for its last minutes while the other
# worker sat idle. A run in one process keeps the usual order.
SLOW_FILES = (
    "tests/platform/test_page_sweep.py",  # 222: every page, role, language and width
    "tests/platform/test_api_fuzz.py",  # 71: schemathesis against gunicorn
    "tests/accounts/test_auth_workers.py",  # 51: gunicorn with two workers, twice
    "tests/platform/test_worker.py",  # 35: real Celery workers
    "tests/operations/test_bench_smoke.py",  # 33: the benchmark, wrk included
    "tests/operations/test_first_run.py",  # 22: `make run` on a fresh database
)


@pytest.hookimpl(trylast=True)  # after pytest-django's ordering
def pytest_collection_modifyitems(config, items):
    if not os.environ.get("PYTEST_XDIST_WORKER"):
        return
    first = {path: rank for rank, path in enumerate(SLOW_FILES)}
    # A stable sort: the tests of a file keep their order, the other files theirs.
    items.sort(key=lambda item: first.get(item.nodeid.split("::", 1)[0], len(first)))


@pytest.fixture(autouse=True)
def _fast_password_hashing(settings):
    settings.PASSWORD_HASHERS = FAST_HASHERS


@pytest.fixture(autouse=True)
def _plain_static_storage(settings):
    """Pages render without a `collectstatic` manifest (the build makes one for production)."""
    settings.STORAGES = {**settings.STORAGES, "staticfiles": {
        "BACKEND": "django.contrib.staticfiles.storage.StaticFilesStorage"}}


@pytest.fixture(autouse=True)
def _fresh_registry_cache():
    """Each test starts with new registry stamps: figures cached by an earlier test (whose
    rows were rolled back) are never served to this one."""
    from cooperatives import freshness

    freshness.renew_all()


@pytest.fixture(autouse=True)
def _empty_access_log_queue():
    """Views seen by one test never reach another's database (nor the exit's flush)."""
    from accounts import access_log

    yield
    access_log._queue.clear()


@pytest.fixture(autouse=True)
def _fresh_login_counters():
    """Bad tokens and passwords sent by earlier tests (all from the test client's address)
    never lock this one's requests."""
    from accounts import throttle

    throttle.unlock(address="127.0.0.1")


@pytest.fixture
def english(settings):
    """English for the site's default and for the test's own code (messages, labels)."""
    from django.utils import translation

    settings.LANGUAGE_CODE = "en"
    with translation.override("en"):
        yield


@pytest.fixture
def fresh_cache():
    """An empty cache: the API's rate limits count requests in it (per token, per address)."""
    from django.core.cache import cache

    cache.clear()


@pytest.fixture(autouse=True)
def _tasks_in_process(request):
    """Tasks run in-process unless a test is marked `worker` (then a real worker runs them)."""
    from reless_platform.celery import app

    eager = app.conf.task_always_eager
    app.conf.task_always_eager = not request.node.get_closest_marker("worker")
    yield
    app.conf.task_always_eager = eager


@pytest.fixture
def region():
    return RegionFactory(**REGION)


@pytest.fixture
def department(region):
    return DepartmentFactory(region=region, **DEPARTMENT)


@pytest.fixture
def commune_a(department):
    return CommuneFactory(department=department, **COMMUNE_A)


@pytest.fixture
def commune_b(department):
    return CommuneFactory(department=department, **COMMUNE_B)


@pytest.fixture
def commune_c():
    far = DepartmentFactory(pcode="CM902001", region=RegionFactory(pcode="CM902",
                                                                   name_fr="Nord-Test"))
    return CommuneFactory(pcode="CM902001001", department=far, name_fr="Gamma",
                          latitude=9.0, longitude=13.0)


@pytest.fixture
def minader():
    return MinistryFactory(**MINADER)


@pytest.fixture
def minepia():
    return MinistryFactory(**MINEPIA)


@pytest.fixture
def agriculture(minader):
    return SectorFactory(ministry=minader, **AGRICULTURE)


@pytest.fixture
def livestock(minepia):
    return SectorFactory(ministry=minepia, **LIVESTOCK)


@pytest.fixture
def cassava(agriculture):
    return FiliereFactory(sector=agriculture, **CASSAVA)


@pytest.fixture
def maize(agriculture):
    return FiliereFactory(sector=agriculture, **MAIZE)


@pytest.fixture
def poultry(livestock):
    return FiliereFactory(sector=livestock, **POULTRY)


@pytest.fixture
def org_a(commune_a, cassava):
    return OrganisationFactory(commune=commune_a, primary_filiere=cassava, **ORG_A)


@pytest.fixture
def org_b(commune_b, cassava):
    return OrganisationFactory(commune=commune_b, primary_filiere=cassava, **ORG_B)


@pytest.fixture
def agent_a(commune_a):
    return make_user("agent_a", role=Role.CTD_AGENT, commune=commune_a)


@pytest.fixture
def agent_b(commune_b):
    return make_user("agent_b", role=Role.CTD_AGENT, commune=commune_b)


@pytest.fixture
def rep_a(org_a):
    return make_user("rep_a", role=Role.REPRESENTATIVE, organisation=org_a)


@pytest.fixture
def rep_b(org_b):
    return make_user("rep_b", role=Role.REPRESENTATIVE, organisation=org_b)


@pytest.fixture
def analyst(minader):
    return make_user("analyst", role=Role.ANALYST, ministry=minader)


# MINPMEESA's reviewers: of commune A's department, of its region, of commune C's department.
@pytest.fixture
def dept_reviewer(department):
    return make_user("dept_rev", role=Role.DEPARTMENT_REVIEWER, department=department)


@pytest.fixture
def region_reviewer(region):
    return make_user("region_rev", role=Role.REGION_REVIEWER, region=region)


@pytest.fixture
def far_reviewer(commune_c):
    return make_user("far_rev", role=Role.DEPARTMENT_REVIEWER, department=commune_c.department)


@pytest.fixture
def admin_user():
    return make_admin()


@pytest.fixture
def nobody():
    """Signed in, with no role."""
    return make_user("nobody")


# The whole cast by name, for tests parametrized over who asks ("anonymous" is None).
CAST = ("anonymous", "nobody", "agent_a", "agent_b", "rep_a", "rep_b", "analyst", "admin_user")


@pytest.fixture
def cast(agent_a, agent_b, rep_a, rep_b, analyst, admin_user, nobody):
    return {"anonymous": None, "nobody": nobody, "agent_a": agent_a, "agent_b": agent_b,
            "rep_a": rep_a, "rep_b": rep_b, "analyst": analyst, "admin_user": admin_user}


def client_for(user, language: str | None = None) -> Client:
    """A test client signed in as `user` (anonymous for None), in `language` when given (the
    language cookie a visitor's choice sets)."""
    client = Client()
    if user is not None:
        client.force_login(user)
    if language:
        client.cookies[settings.LANGUAGE_COOKIE_NAME] = language
    return client


def english_client(user) -> Client:
    return client_for(user, language="en")


CHROMIUM = "/usr/bin/chromium"  # Debian's; never a downloaded browser
CHROMIUM_ARGS = ["--no-sandbox", "--disable-gpu", "--disable-background-networking",
                 "--disable-component-update", "--disable-sync", "--no-first-run"]


@pytest.fixture
def browser():
    """Debian's Chromium through Playwright (.ci/run installs it; missing, the test fails)."""
    if not os.path.exists(CHROMIUM):
        pytest.fail("Debian's Chromium is missing: .ci/run installs it (apt-get install chromium)")
    from playwright.sync_api import sync_playwright

    with sync_playwright() as playwright:
        chromium = playwright.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS)
        yield chromium
        chromium.close()


@pytest.fixture(scope="session", autouse=True)
def _test_database_free_to_drop(django_db_setup, django_db_blocker):
    """Before pytest-django drops this worker's test database at the end of the run, the
    other sessions on it end. A run left some open, so PostgreSQL refused the drop (a warning,
    and the database left behind), traced with `pg_stat_activity`: this thread's connection
    of the `replica` alias (a mirror of `default`), and those of the test server's request
    threads, still answering the last browser test when its browser closed."""
    yield
    from django.db import connections

    with django_db_blocker.unblock():
        connections.close_all()
        connection = connections["default"]
        if connection.vendor != "postgresql":
            return
        with connection._nodb_cursor() as cursor:
            cursor.execute("SELECT pg_terminate_backend(pid) FROM pg_stat_activity "
                           "WHERE datname = %s AND pid <> pg_backend_pid()",
                           [connection.settings_dict["NAME"]])
