"""The small named cast of every test: two communes, their people, a ministry and an admin.

commune_a and commune_b sit in one department; commune_c in another region, far away.
"""

import os

import pytest
from django.conf import settings
from django.test import Client

from cooperatives.models import Role

from .factories import (
    CommuneFactory,
    DepartmentFactory,
    FiliereFactory,
    MinistryFactory,
    OrganisationFactory,
    RegionFactory,
    RoleFactory,
    SectorFactory,
    UserFactory,
)

PASSWORD = "correct horse battery"

# Servers and workers started by tests serve the test database under another name than the
# settings this process loaded: give them this process's cache prefix, so a write here renews
# the stamps they read.
os.environ.setdefault("CACHE_PREFIX", settings.CACHES["default"].get("KEY_PREFIX", ""))

# The fault scenarios stop PostgreSQL and Redis: only `make faults` (RELESS_FAULTS=1) runs them.
collect_ignore = [] if os.environ.get("RELESS_FAULTS") == "1" else ["faults"]


@pytest.fixture(autouse=True)
def _fast_password_hashing(settings):
    """Tests create many users; a slow hash only measures the CPU."""
    settings.PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]


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
def _fresh_login_counters():
    """Bad tokens and passwords sent by earlier tests (all from the test client's address)
    never lock this one's requests."""
    from accounts import throttle

    throttle.unlock(address="127.0.0.1")


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
    return RegionFactory(pcode="CM901", name_fr="Centre-Test", name_en="Centre Test")


@pytest.fixture
def department(region):
    return DepartmentFactory(pcode="CM901001", region=region, name_fr="Département A")


@pytest.fixture
def commune_a(department):
    return CommuneFactory(pcode="CM901001001", department=department, name_fr="Alpha",
                          latitude=4.0, longitude=11.0)


@pytest.fixture
def commune_b(department):
    return CommuneFactory(pcode="CM901001002", department=department, name_fr="Bêta",
                          latitude=4.1, longitude=11.1)


@pytest.fixture
def commune_c():
    far = DepartmentFactory(pcode="CM902001", region=RegionFactory(pcode="CM902",
                                                                   name_fr="Nord-Test"))
    return CommuneFactory(pcode="CM902001001", department=far, name_fr="Gamma",
                          latitude=9.0, longitude=13.0)


@pytest.fixture
def minader():
    return MinistryFactory(acronym="MINADER", name_fr="Ministère de l'Agriculture",
                           name_en="Ministry of Agriculture")


@pytest.fixture
def minepia():
    return MinistryFactory(acronym="MINEPIA", name_fr="Ministère de l'Élevage",
                           name_en="Ministry of Livestock")


@pytest.fixture
def agriculture(minader):
    return SectorFactory(code="agriculture", ministry=minader, name_fr="Agriculture")


@pytest.fixture
def livestock(minepia):
    return SectorFactory(code="elevage", ministry=minepia, name_fr="Élevage")


@pytest.fixture
def cassava(agriculture):
    return FiliereFactory(code="manioc", sector=agriculture, name_fr="Manioc",
                          name_en="Cassava")


@pytest.fixture
def maize(agriculture):
    return FiliereFactory(code="mais", sector=agriculture, name_fr="Maïs", name_en="Maize")


@pytest.fixture
def poultry(livestock):
    return FiliereFactory(code="aviculture", sector=livestock, name_fr="Aviculture",
                          name_en="Poultry")


@pytest.fixture
def org_a(commune_a, cassava):
    return OrganisationFactory(name="Coop Manioc Alpha", commune=commune_a,
                               primary_filiere=cassava, contact_name="Awa Secret",
                               contact_phone="+237 699 000 111",
                               contact_email="awa.secret@example.org")


@pytest.fixture
def org_b(commune_b, cassava):
    return OrganisationFactory(name="Coop Manioc Bêta", commune=commune_b,
                               primary_filiere=cassava, contact_name="Bruno Private",
                               contact_phone="+237 677 222 333",
                               contact_email="bruno.private@example.org")


def _user(username, **role):
    user = UserFactory(username=username)
    if role:
        RoleFactory(user=user, **role)
    return user


@pytest.fixture
def agent_a(commune_a):
    return _user("agent_a", role=Role.CTD_AGENT, commune=commune_a)


@pytest.fixture
def agent_b(commune_b):
    return _user("agent_b", role=Role.CTD_AGENT, commune=commune_b)


@pytest.fixture
def rep_a(org_a):
    return _user("rep_a", role=Role.REPRESENTATIVE, organisation=org_a)


@pytest.fixture
def rep_b(org_b):
    return _user("rep_b", role=Role.REPRESENTATIVE, organisation=org_b)


@pytest.fixture
def analyst(minader):
    return _user("analyst", role=Role.ANALYST, ministry=minader)


@pytest.fixture
def admin_user():
    """The national admin: the admin role, and staff rights for the Django admin."""
    user = _user("admin", role=Role.ADMIN)
    user.is_staff = user.is_superuser = True
    user.save(update_fields=["is_staff", "is_superuser"])
    return user


@pytest.fixture
def nobody():
    return _user("nobody")


def client_for(user) -> Client:
    client = Client()
    if user is not None:
        client.force_login(user)
    return client


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
