"""
A second, strict reader of iCalendar files, written apart from the icalendar package the site
writes them with (no other parser is installed, and neither the standard library nor any other
installed package reads .ics): a test that only icalendar reads would pass whatever icalendar
writes. It checks the lines (RFC 5545, 3.1: CRLF, folded at 75 octets, UTF-8 whole on each
line, escaped text), each component's required properties (RFC 5545, 3.6) and what each iTIP
method asks of an event (RFC 5546, 3.2.1 PUBLISH, 3.2.2 REQUEST, 3.2.5 CANCEL).

`read(data)` returns the calendar as Components, or raises Invalid with every problem found.
"""

import re
from dataclasses import dataclass, field

NAME = re.compile(r"[A-Za-z0-9-]+")
# A parameter value: quoted (no DQUOTE inside) or bare (no DQUOTE ; : ,).
PARAM = re.compile(r';([A-Za-z0-9-]+)=("[^"]*"|[^";:,]*)')
TEXT_PROPERTIES = {"SUMMARY", "DESCRIPTION", "LOCATION", "COMMENT"}
UTC_TIME = re.compile(r"\d{8}T\d{6}Z")


class Invalid(AssertionError):
    pass


@dataclass
class Property:
    name: str
    params: dict[str, str]
    value: str

    @property
    def text(self) -> str:
        """The value of a TEXT property, unescaped."""
        return re.sub(r"\\([\\;,nN])", lambda m: "\n" if m[1] in "nN" else m[1], self.value)


@dataclass
class Component:
    name: str
    properties: list[Property] = field(default_factory=list)
    components: list["Component"] = field(default_factory=list)

    def all(self, name: str) -> list[Property]:
        return [p for p in self.properties if p.name == name]

    def get(self, name: str) -> Property:
        [prop] = self.all(name)
        return prop

    def walk(self, name: str) -> list["Component"]:
        found = [self] if self.name == name else []
        for child in self.components:
            found += child.walk(name)
        return found


def _content_lines(data: bytes, problems: list[str]) -> list[str]:
    if not data.endswith(b"\r\n"):
        problems.append("the file does not end with CRLF")
    physical = data.split(b"\r\n")
    if physical[-1] == b"":
        physical.pop()
    lines: list[str] = []
    for number, raw in enumerate(physical, 1):
        if b"\n" in raw or b"\r" in raw:
            problems.append(f"line {number}: a bare LF or CR (lines end with CRLF)")
        if len(raw) > 75:
            problems.append(f"line {number}: {len(raw)} octets (folded at 75)")
        try:
            text = raw.decode("utf-8")  # folding must not split a character (RFC 5545, 3.1)
        except UnicodeDecodeError:
            problems.append(f"line {number}: not UTF-8 on its own (a character split by folding?)")
            text = raw.decode("utf-8", "replace")
        if text[:1] in (" ", "\t"):
            if not lines:
                problems.append("the file begins with a continuation line")
                continue
            lines[-1] += text[1:]
        else:
            lines.append(text)
    return lines


def _property(line: str, problems: list[str]) -> Property | None:
    name = NAME.match(line)
    if not name:
        problems.append(f"no property name: {line!r}")
        return None
    rest, params = line[name.end() :], {}
    while rest.startswith(";"):
        param = PARAM.match(rest)
        if not param:
            problems.append(f"a malformed parameter: {line!r}")
            return None
        params[param[1].upper()] = param[2].strip('"')
        rest = rest[param.end() :]
    if not rest.startswith(":"):
        problems.append(f"no ':' before the value: {line!r}")
        return None
    prop = Property(name[0].upper(), params, rest[1:])
    if prop.name in TEXT_PROPERTIES and re.search(r"(?<!\\)(\\\\)*[;,]", prop.value):
        problems.append(f"{prop.name}: an unescaped ';' or ',' in text: {prop.value!r}")
    return prop


def _tree(lines: list[str], problems: list[str]) -> Component | None:
    stack: list[Component] = []
    root = None
    for line in lines:
        prop = _property(line, problems)
        if prop is None:
            continue
        if prop.name == "BEGIN":
            component = Component(prop.value.upper())
            if stack:
                stack[-1].components.append(component)
            elif root is None:
                root = component
            else:
                problems.append("more than one object in the file")
            stack.append(component)
        elif prop.name == "END":
            if not stack or stack[-1].name != prop.value.upper():
                problems.append(f"END:{prop.value} closes nothing open")
                continue
            stack.pop()
        elif not stack:
            problems.append(f"a property outside any component: {line!r}")
        else:
            stack[-1].properties.append(prop)
    if stack:
        problems.append(f"never closed: {[c.name for c in stack]}")
    return root


def _count(component: Component, name: str, allowed: str, why: str, problems: list[str]) -> None:
    """Check how often `name` appears in `component`: allowed is "1", "0", "0-1" or "1+"."""
    n = len(component.all(name))
    ok = {"1": n == 1, "0": n == 0, "0-1": n <= 1, "1+": n >= 1}[allowed]
    if not ok:
        problems.append(f"{component.name}: {name} appears {n} times ({why} allows {allowed})")


# What RFC 5546 asks of a VEVENT under each method (its tables in 3.2.1, 3.2.2 and 3.2.5).
METHOD_RULES = {
    "PUBLISH": {"DTSTAMP": "1", "DTSTART": "1", "ORGANIZER": "1", "SUMMARY": "1", "UID": "1", "ATTENDEE": "0",
                "SEQUENCE": "0-1"},
    "REQUEST": {"ATTENDEE": "1+", "DTSTAMP": "1", "DTSTART": "1", "ORGANIZER": "1", "SUMMARY": "1", "UID": "1",
                "SEQUENCE": "0-1"},
    "CANCEL": {"ATTENDEE": "1+", "DTSTAMP": "1", "ORGANIZER": "1", "SEQUENCE": "1", "UID": "1", "STATUS": "0-1"},
}  # fmt: skip


def _check(calendar: Component, problems: list[str]) -> None:
    if calendar.name != "VCALENDAR":
        problems.append(f"the object is a {calendar.name}, not a VCALENDAR")
    _count(calendar, "PRODID", "1", "RFC 5545", problems)
    _count(calendar, "VERSION", "1", "RFC 5545", problems)
    _count(calendar, "METHOD", "0-1", "RFC 5545", problems)
    if [p.value for p in calendar.all("VERSION")] != ["2.0"]:
        problems.append("VERSION is not 2.0")
    method = calendar.all("METHOD")[0].value if calendar.all("METHOD") else None
    timezones = {c.get("TZID").value for c in calendar.walk("VTIMEZONE") if len(c.all("TZID")) == 1}
    for zone in calendar.walk("VTIMEZONE"):
        _count(zone, "TZID", "1", "RFC 5545", problems)
        if not [c for c in zone.components if c.name in ("STANDARD", "DAYLIGHT")]:
            problems.append("a VTIMEZONE with neither STANDARD nor DAYLIGHT")
        for part in zone.components:
            for name in ("DTSTART", "TZOFFSETFROM", "TZOFFSETTO"):
                _count(part, name, "1", "RFC 5545", problems)
    events = calendar.walk("VEVENT")
    if not events:
        problems.append("no VEVENT")
    for event in events:
        for name in ("UID", "DTSTAMP", "DTSTART"):
            _count(event, name, "1", "RFC 5545", problems)
        if event.all("DTEND") and event.all("DURATION"):
            problems.append("VEVENT has both DTEND and DURATION")
        for stamp in event.all("DTSTAMP"):
            if not UTC_TIME.fullmatch(stamp.value):
                problems.append(f"DTSTAMP is not a UTC time: {stamp.value}")
        for prop in event.properties:
            if "TZID" in prop.params and prop.params["TZID"] not in timezones:
                problems.append(f"{prop.name} names TZID={prop.params['TZID']} with no VTIMEZONE for it")
        for address in event.all("ORGANIZER") + event.all("ATTENDEE"):
            if not address.value.lower().startswith("mailto:") or "@" not in address.value:
                problems.append(f"{address.name} is not a mailto: address: {address.value}")
        if method in METHOD_RULES:
            for name, allowed in METHOD_RULES[method].items():
                _count(event, name, allowed, f"METHOD:{method}", problems)
        if method == "CANCEL":
            if [p.value for p in event.all("STATUS")] != ["CANCELLED"]:
                problems.append("a CANCEL of the whole event has STATUS:CANCELLED")
            if event.walk("VALARM"):
                problems.append("a CANCEL carries no VALARM (RFC 5546, 3.2.5)")
        for alarm in event.walk("VALARM"):
            _count(alarm, "ACTION", "1", "RFC 5545", problems)
            _count(alarm, "TRIGGER", "1", "RFC 5545", problems)
            if [p.value for p in alarm.all("ACTION")] == ["DISPLAY"]:
                _count(alarm, "DESCRIPTION", "1", "a DISPLAY alarm (RFC 5545, 3.6.6)", problems)


def read(data: bytes) -> Component:
    """Return the calendar in `data`, or raise Invalid listing every way it breaks the RFCs."""
    problems: list[str] = []
    calendar = _tree(_content_lines(data, problems), problems)
    if calendar is None:
        raise Invalid("no calendar in the file")
    _check(calendar, problems)
    if problems:
        raise Invalid("\n".join(problems))
    return calendar
