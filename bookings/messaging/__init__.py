"""
Messaging: every message to a patient or to reception, from the event that owes it to the
provider's receipt.

- `events`: what each booking event owes whom (called by the services, in their transaction);
- `outbox`: the queue (a row per message) and the worker that drains it, with retries;
- `rendering`: how each message reads, in the patient's language;
- `sending`: one message out through its channel;
- `channels`: the providers (WhatsApp Cloud API, Twilio, an HTTP SMS gateway, the console);
- `local_channels`: text-message channels that keep messages in a file or in memory (staging, tests);
- `whatsapp_templates`: the approved WhatsApp templates and their buttons;
- `inbound`: what providers report back (statuses) and what patients reply;
- `webhooks`: the providers' signed HTTP endpoints;
- `dispatch`: messages owed by the clock or the desk, sent once per booking (reminders,
  aftercare, "your time needs moving").

A new channel is a class in `channels` (and its name in `sms_channel`). May import: the
core of bookings. Never bookings.schedule, booking, desk or pages.
"""
