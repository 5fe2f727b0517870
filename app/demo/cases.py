"""The demo's cases handled as a unit would handle them: most answered, a few late or still
overdue, some answers rated by their citizens, so the cases page and the 766 ratios have
something true-looking to show. Set directly on the demo's own rows, as if done by hand."""

from __future__ import annotations

import random
from datetime import datetime, timedelta

from sqlmodel import Session, col, select

from app.models import Case, Office

ANSWERS = [
    "Đơn vị đã tiếp thu, nhắc nhở cán bộ và bố trí thêm người vào buổi sáng.",
    "Máy lấy số thứ tự đã được thay mới. Xin cảm ơn Ông/Bà đã phản ánh.",
    "Đơn vị đã bổ sung ghế ngồi chờ và nước uống tại khu vực tiếp nhận.",
    "Cán bộ đã được nhắc nhở về thái độ giao tiếp với người dân.",
]


def handle_demo_cases(session: Session, rng: random.Random, now: datetime) -> int:
    """Answer about four in five of the demo's cases older than two days; how many."""
    cases = session.exec(
        select(Case)
        .join(Office, col(Office.id) == Case.office_id)
        .where(col(Office.is_demo).is_(True), Case.opened_at < now - timedelta(days=2))
        .order_by(col(Case.id))
    )
    answered = 0
    for case in cases:
        if rng.random() > 0.8:
            continue  # left for the demo's staff to answer (some of them overdue)
        late = rng.random() < 0.1
        took = (case.due_at - case.opened_at) * (1.2 if late else rng.uniform(0.1, 0.9))
        case.answered_at = min(case.opened_at + took, now)
        case.answer = rng.choice(ANSWERS)
        case.answered_by = "demo.admin"
        case.status = "closed" if rng.random() < 0.5 else "answered"
        case.closed_at = case.answered_at if case.status == "closed" else None
        if rng.random() < 0.5:
            case.handling_satisfied = rng.random() < 0.8
            case.handling_rated_at = case.answered_at
        session.add(case)
        answered += 1
    session.flush()
    return answered
