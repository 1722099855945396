import pytest
from django.contrib.auth import get_user_model
from django.contrib.auth.models import Group


def staff_user(group_name: str, username: str):
    user = get_user_model().objects.create_user(username=username, password="x-unused-x", is_staff=True)
    user.groups.add(Group.objects.get(name=group_name))
    return user


@pytest.fixture
def receptionist(db):
    """A receptionist who covers every branch's desk (tests/bookings/test_staff_scope.py has one clinic's)."""
    from django.contrib.auth.models import Permission

    user = staff_user("Receptionist", "receptionist")
    user.user_permissions.add(Permission.objects.get(codename="view_all_clinics"))
    return user


@pytest.fixture
def manager(db):
    return staff_user("Clinic manager", "clinic-manager")


@pytest.fixture
def reception_client(client, receptionist):
    client.force_login(receptionist)
    return client


@pytest.fixture
def session_type(db):
    from tests.factories import SessionTypeFactory

    return SessionTypeFactory()


@pytest.fixture
def standin():
    """A local stand-in for the Graph API, Twilio and an SMS gateway (tests/standin.py)."""
    from tests.standin import StandIn

    server = StandIn().start()
    yield server
    server.stop()


@pytest.fixture
def providers(settings, standin):
    """The message providers' settings, pointing at the stand-in."""
    settings.ASPIRE_WHATSAPP_API_URL = standin.graph_url
    settings.ASPIRE_WHATSAPP_TOKEN = "wa-token"
    settings.ASPIRE_WHATSAPP_PHONE_NUMBER_ID = "106540352242922"
    settings.ASPIRE_WHATSAPP_APP_SECRET = "wa-app-secret"
    settings.ASPIRE_WHATSAPP_VERIFY_TOKEN = "wa-verify-token"
    settings.ASPIRE_TWILIO_API_URL = standin.url
    settings.ASPIRE_TWILIO_ACCOUNT_SID = "AC" + "0" * 32
    settings.ASPIRE_TWILIO_AUTH_TOKEN = "twilio-auth-token"
    settings.ASPIRE_TWILIO_FROM = "+15005550006"
    settings.ASPIRE_TWILIO_STATUS_CALLBACK = "https://aspirewellness.pk/webhooks/twilio/"
    settings.ASPIRE_SMS_GATEWAY_URL = standin.gateway_url
    settings.ASPIRE_SMS_GATEWAY_KEY = "gateway-key"
    settings.ASPIRE_SMS_GATEWAY_SENDER = "ASPIRE"
    settings.ASPIRE_SMS_GATEWAY_ID_KEY = "data.message_id"
    return standin
