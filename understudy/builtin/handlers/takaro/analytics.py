"""Shop analytics (`GET /analytics/shop`): Takaro's ShopAnalyticsOutputDTO computed from the
store's orders and listings, as ShopAnalyticsService does it: revenue counts PAID and COMPLETED
orders (amount x listing price), a game-server filter applies to the listing's server, and each
figure is compared with the period just before."""

from __future__ import annotations

import math
from collections import defaultdict
from dataclasses import dataclass
from datetime import datetime, timedelta, timezone

from understudy.context import store

from .core import mine, ok, parse_time

PERIODS = {"last24Hours": 1, "last7Days": 7, "last30Days": 30, "last90Days": 90}  # days
COUNTED = ("PAID", "COMPLETED")  # orders that bring revenue
DAY_NAMES = ("Sunday", "Monday", "Tuesday", "Wednesday", "Thursday", "Friday", "Saturday")
SEGMENTS = (("New", "new", "#4CAF50"), ("Returning", "returning", "#2196F3"), ("Frequent", "frequent", "#FF9800"))
TOP = 10  # rows in each top list


@dataclass(frozen=True)
class Sale:
    order: dict
    listing: dict
    at: datetime

    @property
    def value(self) -> float:
        return self.order["amount"] * self.listing["price"]


def iso(moment: datetime) -> str:
    return moment.isoformat(timespec="milliseconds").replace("+00:00", "Z")


def percent(part: float, whole: float) -> float:
    return part / whole * 100 if whole > 0 else 0


def change(current: float, previous: float) -> float:
    return (current - previous) / previous * 100 if previous > 0 else 0


def js_round(x: float) -> int:
    return math.floor(x + 0.5)


def js_number(x: float) -> str:
    """A number as JavaScript writes it (250, not 250.0)."""
    return str(int(x)) if float(x).is_integer() else repr(float(x))


def dow(moment: datetime) -> int:
    """PostgreSQL's day of week: 0 is Sunday."""
    return (moment.weekday() + 1) % 7


def orders_of(servers: list[str] | None, statuses=COUNTED) -> list[Sale]:
    found = []
    for order in mine("shopOrders"):
        listing = store().get("shopListings", order["listingId"])
        if listing is None or order["status"] not in statuses or (servers and listing["gameServerId"] not in servers):
            continue
        found.append(Sale(order, listing, parse_time(order["createdAt"]) or datetime.now(timezone.utc)))
    return found


def between(sales: list[Sale], start: datetime, end: datetime) -> list[Sale]:
    return [s for s in sales if start <= s.at <= end]


def average(sales: list[Sale]) -> float:
    return sum(s.value for s in sales) / len(sales) if sales else 0


def kpis(sales: list[Sale], now: datetime, start: datetime, previous: datetime) -> dict:
    current, before = between(sales, start, now), between(sales, previous, start)
    week_start = now - timedelta(days=7)
    sparkline = [0.0] * 7
    for sale in between(sales, week_start, now):
        day = datetime(sale.at.year, sale.at.month, sale.at.day, tzinfo=timezone.utc)
        index = math.floor((day - week_start).total_seconds() / 86400)
        if 0 <= index < 7:
            sparkline[index] += sale.value
    midnight = now.replace(hour=0, minute=0, second=0, microsecond=0)
    today = len(between(sales, midnight, midnight + timedelta(days=1)))
    weekly_average = js_round(len(between(sales, week_start, now)) / 7)
    customers, customers_before = {s.order["playerId"] for s in current}, {s.order["playerId"] for s in before}
    revenue, revenue_before = sum(s.value for s in current), sum(s.value for s in before)
    return {
        "totalRevenue": revenue, "revenueChange": change(revenue, revenue_before), "revenueSparkline": sparkline,
        "ordersToday": today,
        # Takaro divides by the weekly average: NaN or Infinity when it is 0, which JSON sends as null.
        "ordersChange": (today - weekly_average) / weekly_average * 100 if weekly_average else None,
        "activeCustomers": len(customers), "customersChange": change(len(customers), len(customers_before)),
        "averageOrderValue": average(current), "aovChange": change(average(current), average(before)),
    }


def bucket(moment: datetime, days: int) -> datetime:
    day = datetime(moment.year, moment.month, moment.day, tzinfo=timezone.utc)
    if days <= 30:
        return day
    if days <= 90:
        return day - timedelta(days=day.weekday())  # the week's Monday, as DATE_TRUNC('week')
    return day.replace(day=1)


def revenue(current: list[Sale], days: int, growth: float) -> dict:
    series: dict[datetime, list[float]] = defaultdict(lambda: [0.0, 0])
    by_hour = [[0.0] * 24 for _ in range(7)]
    for sale in current:
        point = series[bucket(sale.at, days)]
        point[0] += sale.value
        point[1] += 1
        by_hour[dow(sale.at)][sale.at.hour] += sale.value
    peak, peak_day, peak_hour = 0.0, 0, 0
    for day, hours in enumerate(by_hour):
        for hour, value in enumerate(hours):
            if value > peak:
                peak, peak_day, peak_hour = value, day, hour
    return {
        "timeSeries": [{"date": iso(moment), "value": value, "comparison": count}
                       for moment, (value, count) in sorted(series.items())],
        # The heatmap counts Monday as day 0.
        "heatmap": [{"day": 6 if day == 0 else day - 1, "hour": hour, "value": value}
                    for day, hours in enumerate(by_hour) for hour, value in enumerate(hours) if value > 0],
        "growth": growth, "peakHour": f"{peak_hour}:00", "peakDay": DAY_NAMES[peak_day],
    }


def listings_of(servers: list[str] | None) -> list[dict]:
    return [entry for entry in mine("shopListings")
            if entry.get("deletedAt") is None and (not servers or entry["gameServerId"] in servers)]


def products(current: list[Sale], servers: list[str] | None, now: datetime) -> dict:
    total = sum(s.value for s in current)
    by_listing: dict[str, dict] = {}
    by_category: dict[str, dict] = {}
    for sale in current:
        row = by_listing.setdefault(sale.listing["id"], {"id": sale.listing["id"], "name": sale.listing["name"],
                                                          "quantity": 0, "revenue": 0.0})
        row["quantity"] += sale.order["amount"]
        row["revenue"] += sale.value
        for category_id in sale.listing.get("categoryIds", []):
            category = store().get("shopCategories", category_id)
            if category is not None:
                entry = by_category.setdefault(category_id, {"name": category["name"], "revenue": 0.0, "orders": set()})
                entry["revenue"] += sale.value
                entry["orders"].add(sale.order["id"])
    sold = {s.listing["id"] for s in current}
    unsold = sorted((entry for entry in listings_of(servers) if entry["id"] not in sold),
                    key=lambda e: e["createdAt"])[:TOP]
    top = sorted(by_listing.values(), key=lambda r: -r["revenue"])[:TOP]
    return {
        "topItems": [{**row, "percentage": percent(row["revenue"], total)} for row in top],
        "categories": [{"name": c["name"], "revenue": c["revenue"], "orders": len(c["orders"]),
                        "percentage": percent(c["revenue"], total)}
                       for c in sorted(by_category.values(), key=lambda c: -c["revenue"])],
        "deadStock": len(unsold),
        "deadStockItems": [{"id": e["id"], "name": e["name"],
                            "daysSinceCreated": (now - (parse_time(e["createdAt"]) or now)).days} for e in unsold],
        "totalProducts": len(listings_of(servers)),
    }


def player_name(player_id: str) -> str:
    return (store().get("players", player_id) or {}).get("name", "")


def orders(sales: list[Sale], every_status: list[Sale]) -> dict:
    counts = {status: sum(1 for s in every_status if s.order["status"] == status) for status in ("PAID", "COMPLETED", "CANCELED")}
    total = sum(counts.values())
    recent = sorted(sales, key=lambda s: s.order["createdAt"], reverse=True)[:TOP]
    return {
        "statusBreakdown": [{"status": status, "count": count, "percentage": percent(count, total)}
                            for status, count in counts.items()],
        "recentOrders": [{"id": s.order["id"], "playerName": player_name(s.order["playerId"]),
                          "itemName": s.listing["name"], "value": s.value, "time": iso(s.at),
                          "status": s.order["status"]} for s in recent],
        "totalOrders": total, "completionRate": percent(counts["COMPLETED"], total),
    }


def longest_run(months: set[tuple[int, int]]) -> int:
    ordered = sorted(y * 12 + m for y, m in months)
    best = run = 1
    for before, after in zip(ordered, ordered[1:]):
        run = run + 1 if after - before == 1 else 1
        best = max(best, run)
    return best


def customers(sales: list[Sale], now: datetime, start: datetime) -> dict:
    history = between(sales, start - timedelta(days=183), now)
    months: dict[str, set] = defaultdict(set)
    in_period, before = set(), set()
    for sale in history:
        player = sale.order["playerId"]
        months[player].add((sale.at.year, sale.at.month))
        (in_period if sale.at >= start else before).add(player)
    segments = {"new": 0, "returning": 0, "frequent": 0}
    for player in in_period:
        if player not in before:
            segments["new"] += 1
        elif longest_run(months[player]) >= 3 or len(months[player]) >= 4:
            segments["frequent"] += 1
        else:
            segments["returning"] += 1
    buyers: dict[str, dict] = {}
    for sale in between(sales, start, now):
        buyer = buyers.setdefault(sale.order["playerId"], {"id": sale.order["playerId"],
                                                           "name": player_name(sale.order["playerId"]),
                                                           "totalSpent": 0.0, "orderCount": 0, "lastPurchase": ""})
        buyer["totalSpent"] += sale.value
        buyer["orderCount"] += 1
        buyer["lastPurchase"] = max(buyer["lastPurchase"], iso(sale.at))
    whole = sum(segments.values())
    return {
        "segments": [{"name": name, "count": segments[key], "percentage": percent(segments[key], whole), "color": color}
                     for name, key, color in SEGMENTS],
        "topBuyers": sorted(buyers.values(), key=lambda b: -b["totalSpent"])[:TOP],
        "repeatRate": percent(len(in_period & before), len(in_period)),
        "newCustomers": segments["new"], "totalCustomers": len(in_period),
    }


def insights(report: dict, busiest_hour: int, aov: tuple[float, float]) -> list[dict]:
    """The notes ShopAnalyticsService writes, in its order and words."""
    found = []
    growth = report["revenue"]["growth"]
    if growth > 20:
        found.append({"type": "success", "title": "Revenue Growth", "icon": "TrendingUp", "value": f"{growth:.1f}%",
                      "description": f"Revenue up {growth:.1f}% compared to previous period"})
    elif growth < -10:
        found.append({"type": "warning", "title": "Revenue Decline", "icon": "TrendingDown", "value": f"{growth:.1f}%",
                      "description": f"Revenue down {abs(growth):.1f}% compared to previous period"})
    top = report["products"]["topItems"]
    if top:
        found.append({"type": "info", "title": "Best Seller", "icon": "Trophy", "value": js_number(top[0]["revenue"]),
                      "description": f"{top[0]['name']} with {top[0]['quantity']} sales"})
    unsold = report["products"]["deadStock"]
    if unsold:
        found.append({"type": "warning", "title": "Slow Moving Stock", "icon": "AlertTriangle", "value": str(unsold),
                      "description": f"{unsold} listings have not sold recently"})
    found.append({"type": "info", "title": "Peak Sales Hour", "icon": "Clock", "value": f"{busiest_hour}:00",
                  "description": f"Peak sales typically occur around {busiest_hour}:00"})
    new, rate = report["customers"]["newCustomers"], report["customers"]["repeatRate"]
    if new:
        found.append({"type": "info", "title": "Customer Retention", "icon": "Users", "value": f"{rate:.1f}%",
                      "description": f"{new} new customers - {rate:.1f}% became repeat buyers"})
    completion = report["orders"]["completionRate"]
    if report["orders"]["totalOrders"] and round(completion, 1) < 80:
        found.append({"type": "warning", "title": "Low Completion Rate", "icon": "AlertCircle",
                      "value": f"{completion:.1f}%",
                      "description": f"Order completion rate is {completion:.1f}% - consider investigating unclaimed orders"})
    current, previous = aov
    if current > previous:  # over a previous 0, Takaro's division gives Infinity
        increase = f"{(current - previous) / previous * 100:.1f}" if previous else "Infinity"
        found.append({"type": "success", "title": "AOV Increase", "icon": "DollarSign", "value": f"{increase}%",
                      "description": f"Average order value increased by {increase}%"})
    return found


async def shop(gameServerIds: list[str] | None = None, period: str = "last30Days"):
    days = PERIODS[period]
    now = datetime.now(timezone.utc)
    start = now - timedelta(days=days)
    sales = orders_of(gameServerIds)
    current = between(sales, start, now)
    report = {"kpis": kpis(sales, now, start, start - timedelta(days=days))}
    report["revenue"] = revenue(current, days, report["kpis"]["revenueChange"])
    report["products"] = products(current, gameServerIds, now)
    report["orders"] = orders(sales, between(orders_of(gameServerIds, ("PAID", "COMPLETED", "CANCELED")), start, now))
    report["customers"] = customers(sales, now, start)
    midnight = now.replace(hour=0, minute=0, second=0, microsecond=0)
    hours = [0] * 24
    for sale in between(sales, midnight, midnight + timedelta(days=1)):
        hours[sale.at.hour] += 1
    aov = average(current), average(between(sales, start - timedelta(days=days), start))
    report["insights"] = insights(report, hours.index(max(hours)), aov)
    report.update({"lastUpdated": iso(now), "dateRange": f"{iso(start)} to {iso(now)}"})
    if gameServerIds:
        report["gameServerIds"] = gameServerIds
    return ok(report)
