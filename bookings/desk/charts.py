"""
The Reports page's charts, drawn on the server as SVG: here their geometry (plain numbers
in a viewBox), in admin/bookings/_chart_*.html their markup. No JavaScript, nothing from
elsewhere, and each chart's figures are also on the page as a table.
"""

from dataclasses import dataclass, field

from bookings.reports.selectors import HourOfWeek, Use, Week

WIDTH = 640  # the viewBox's width; the chart scales to the page, from a phone's 375 px to 1366
WEEKDAYS = ["Mon", "Tue", "Wed", "Thu", "Fri", "Sat", "Sun"]


@dataclass
class Bar:
    x: float
    y: float
    width: float
    height: float
    css: str
    title: str


@dataclass
class Label:
    x: float
    y: float
    text: str
    anchor: str = "middle"


@dataclass
class Chart:
    height: int
    bars: list[Bar] = field(default_factory=list)
    labels: list[Label] = field(default_factory=list)
    lines: list[tuple[float, float, float, float]] = field(default_factory=list)  # gridlines x1 y1 x2 y2
    points: str = ""  # a polyline's points
    dots: list[Bar] = field(default_factory=list)
    width: int = WIDTH


def _pct(value: float | None) -> str:
    return "–" if value is None else f"{value:.0%}"


def bookings_per_week(weeks: list[Week]) -> Chart:
    """Stacked bars per week: attended, no-shows, cancelled, and the rest (to come, or not marked yet)."""
    top, bottom, left = 12, 28, 36
    height = 220
    plot = height - top - bottom
    most = max([w.booked for w in weeks] + [1])
    step = (WIDTH - left) / max(len(weeks), 1)
    chart = Chart(height=height)
    for fraction in (0, 0.5, 1):
        y = top + plot * (1 - fraction)
        chart.lines.append((left, y, WIDTH, y))
        chart.labels.append(Label(left - 4, y + 4, f"{round(most * fraction)}", "end"))
    for i, week in enumerate(weeks):
        x, y = left + i * step + step * 0.15, top + plot
        rest = week.booked - week.attended - week.no_shows - week.cancelled
        day = f"{week.first_day:%-d %b}"
        for count, css, what in (
            (week.attended, "attended", "attended"),
            (week.no_shows, "no-show", "no-shows"),
            (week.cancelled, "cancelled", "cancelled"),
            (rest, "to-come", "to come or not marked"),
        ):
            if count:
                h = plot * count / most
                y -= h
                chart.bars.append(Bar(x, y, step * 0.7, h, css, f"Week of {day}: {count} {what}"))
        if len(weeks) <= 14 or i % 2 == 0:
            chart.labels.append(Label(x + step * 0.35, height - 10, day))
    return chart


def no_show_rate(weeks: list[Week]) -> Chart:
    """The no-show rate week by week, as a line over 0 to the highest rate (at least 20%)."""
    top, bottom, left = 12, 28, 36
    height = 180
    plot = height - top - bottom
    rates = [w.no_show_rate for w in weeks]
    most = max([r for r in rates if r is not None] + [0.2])
    step = (WIDTH - left) / max(len(weeks), 1)
    chart = Chart(height=height)
    for fraction in (0, 0.5, 1):
        y = top + plot * (1 - fraction)
        chart.lines.append((left, y, WIDTH, y))
        chart.labels.append(Label(left - 4, y + 4, _pct(most * fraction), "end"))
    points = []
    for i, (week, value) in enumerate(zip(weeks, rates, strict=True)):
        x = left + i * step + step / 2
        if len(weeks) <= 14 or i % 2 == 0:
            chart.labels.append(Label(x, height - 10, f"{week.first_day:%-d %b}"))
        if value is None:
            continue
        y = top + plot * (1 - value / most)
        points.append(f"{x:.1f},{y:.1f}")
        chart.dots.append(Bar(x, y, 4, 4, "no-show", f"Week of {week.first_day:%-d %b}: {_pct(value)} no-shows"))
    chart.points = " ".join(points)
    return chart


def utilisation_bars(uses: list[Use]) -> Chart:
    """One bar per therapist (or clinic): booked over offered minutes, 0 to 100%."""
    left, row = 170, 26
    height = max(len(uses), 1) * row + 24
    plot = WIDTH - left - 44
    chart = Chart(height=height)
    for fraction in (0, 0.5, 1):
        x = left + plot * fraction
        chart.lines.append((x, 0, x, height - 20))
        chart.labels.append(Label(x, height - 6, f"{fraction:.0%}"))
    for i, use in enumerate(uses):
        y = i * row + 4
        name = use.label if use.active else f"{use.label} (left)"
        chart.labels.append(Label(left - 6, y + 14, name[:24], "end"))
        value = use.utilisation or 0
        chart.bars.append(Bar(left, y, plot * value, row - 8, "attended", f"{name}: {_pct(use.utilisation)}"))
        chart.labels.append(Label(left + plot * value + 4, y + 14, _pct(use.utilisation), "start"))
    return chart


def heat_map(hours: list[HourOfWeek]) -> Chart:
    """Weekdays down, hours across (those with time offered): each cell shaded by its utilisation, in five steps."""
    chart = Chart(height=40)
    if not hours:
        return chart
    first, last = min(h.hour for h in hours), max(h.hour for h in hours)
    left, top, cell_h = 40, 22, 28
    cell_w = (WIDTH - left) / (last - first + 1)
    chart.height = top + 7 * cell_h + 4
    for hour in range(first, last + 1):
        chart.labels.append(Label(left + (hour - first + 0.5) * cell_w, 14, f"{hour:02d}"))
    for day in range(7):
        chart.labels.append(Label(left - 6, top + day * cell_h + 18, WEEKDAYS[day], "end"))
    for each in hours:
        value = each.use.utilisation or 0
        step = min(int(value * 5), 4)  # 0-19%, 20-39%, ... 80-100%
        title = f"{WEEKDAYS[each.weekday - 1]} {each.hour:02d}:00: {_pct(each.use.utilisation)} booked"
        chart.bars.append(
            Bar(
                left + (each.hour - first) * cell_w + 1,
                top + (each.weekday - 1) * cell_h + 1,
                cell_w - 2,
                cell_h - 2,
                f"heat-{step}",
                title,
            )
        )
    return chart
