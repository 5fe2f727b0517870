"""The detectors' rules: each named, versioned, with its threshold and what it means.

A rule's version changes whenever its threshold or logic does: flags keep the version that
raised them, so a change never rewrites what an inspector already looked at.
"""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class Rule:
    name: str
    version: int
    title_vi: str
    meaning_vi: str
    title_en: str
    windowed: bool  # run by the scan over a window, not at intake


# Thresholds. Each is documented in the README ("Stuffing and how it is caught").
TOO_FAST_SECONDS_PER_QUESTION = 1.0  # nobody reads a question and its choices faster
TOO_FAST_MIN_SECONDS = 5.0
SAME_DEVICE_PER_DAY = 3  # more ratings than this from one device to one office in a day
SAME_ADDRESS_MIN = 5  # one address: at least this many ratings to one office in a day …
SAME_ADDRESS_ALPHA = 1e-4  # … whose levels the office's own mix explains with p below this
UNIFORM_MIN_RUN = 6  # a run of identical ballots at least this long …
UNIFORM_GAP_MINUTES = 15  # … each within this of the previous …
UNIFORM_ALPHA = 1e-4  # … and this unlikely under the office's share of that ballot
BURST_ALPHA = 1e-6  # an hour improbable even at twice the usual rate for it
BURST_MIN = 8  # and at least this many open ratings in that hour
BURST_HISTORY_WEEKS = 8
BURST_MIN_HISTORY = 40  # fewer open ratings in the history: compare with the peers' rate
HISTORY_DAYS = 30  # the office's mix of answers for same-address and uniform-streak


def too_fast_limit(questions: int) -> float:
    """The fewest seconds a person needs to read and answer ``questions``."""
    return max(TOO_FAST_MIN_SECONDS, TOO_FAST_SECONDS_PER_QUESTION * questions)


RULES = {
    rule.name: rule
    for rule in (
        Rule(
            "too-fast",
            1,
            "Điền phiếu quá nhanh",
            "Phiếu được gửi sau chưa tới 1 giây cho mỗi câu hỏi kể từ khi mở, hoặc không "
            "mang thời điểm mở phiếu do hệ thống ký (không gửi từ trang phiếu).",
            "Completed faster than a person can read the questions",
            windowed=False,
        ),
        Rule(
            "staff-network",
            1,
            "Gửi từ mạng nội bộ của đơn vị",
            "Phiếu của người dân gửi từ dải mạng mà đơn vị khai là mạng của cán bộ.",
            "Sent from the office's staff network",
            windowed=False,
        ),
        Rule(
            "off-hours",
            1,
            "Gửi ngoài giờ làm việc",
            "Phiếu tại chỗ (mã QR chung, quầy, máy đánh giá) gửi ngoài giờ làm việc của đơn vị "
            "(trước giờ mở cửa 30 phút hoặc sau giờ đóng cửa 60 phút trở đi).",
            "Sent outside the office's opening hours",
            windowed=False,
        ),
        Rule(
            "same-device",
            1,
            "Một thiết bị gửi nhiều lần",
            f"Một thiết bị gửi hơn {SAME_DEVICE_PER_DAY} phiếu cho cùng đơn vị trong một ngày.",
            "One device rated the same office many times in a day",
            windowed=True,
        ),
        Rule(
            "same-address",
            1,
            "Một địa chỉ mạng gửi nhiều phiếu giống nhau",
            f"Từ {SAME_ADDRESS_MIN} phiếu trở lên trong một ngày từ cùng một địa chỉ mạng, với "
            "mức đánh giá giống nhau nhiều hơn hẳn so với phiếu thường ngày của đơn vị "
            "(xác suất ngẫu nhiên dưới 1/10.000). Mạng khách của đơn vị, có nhiều người dân "
            "thật, không bị đánh dấu chỉ vì đông.",
            "One address sent many ballots, more alike than the office's own mix explains",
            windowed=True,
        ),
        Rule(
            "uniform-streak",
            1,
            "Chuỗi phiếu giống hệt nhau",
            f"Ít nhất {UNIFORM_MIN_RUN} phiếu liên tiếp có câu trả lời giống hệt nhau, cách nhau "
            f"không quá {UNIFORM_GAP_MINUTES} phút, hiếm gặp với tỷ lệ phiếu như thế của đơn vị "
            "(xác suất dưới 1/10.000).",
            "A run of identical ballots minutes apart",
            windowed=True,
        ),
        Rule(
            "burst",
            1,
            "Tăng đột biến",
            "Số phiếu qua mã QR chung trong một giờ cao bất thường so với cùng giờ, cùng thứ "
            f"của {BURST_HISTORY_WEEKS} tuần trước (hoặc của các đơn vị cùng cấp khi đơn vị mới): "
            "hiếm gặp ngay cả khi đông gấp đôi thường lệ.",
            "Far more open ratings in an hour than usual for that hour of the week",
            windowed=True,
        ),
        Rule(
            "over-dossiers",
            1,
            "Nhiều phiếu hơn số hồ sơ",
            "Trong một ngày, số phiếu qua màn hình tại quầy nhiều hơn số hồ sơ đơn vị tiếp nhận "
            "và trả kết quả trong ngày đó.",
            "More ratings through counters than dossiers handled there that day",
            windowed=True,
        ),
    )
}

# What a flag's evidence says, for the triage page ({names} are the evidence's fields).
EVIDENCE_VI = {
    "too-fast": "Điền xong sau {seconds} giây; đọc hết các câu hỏi cần ít nhất {limit} giây.",
    "too-fast-unsigned": "Phiếu không mang thời điểm mở phiếu do hệ thống ký: không gửi từ "
    "trang phiếu.",
    "staff-network": "Gửi từ dải mạng của cán bộ đơn vị.",
    "off-hours": "Gửi lúc {local_time} ({day}), ngoài giờ làm việc.",
    "same-device": "Một thiết bị gửi {ratings} phiếu trong ngày {day} (ngưỡng: {limit}).",
    "same-address": "Một địa chỉ mạng gửi {ratings} phiếu ngày {day}, {alike} phiếu cùng mức; "
    "thường ngày mức này chiếm {usual_share} % (xác suất ngẫu nhiên {chance}).",
    "uniform-streak": "{run} phiếu giống hệt nhau liên tiếp, từ {from} đến {to}.",
    "burst": "{ratings} phiếu qua mã QR chung trong giờ {hour}; thường lệ {usual} phiếu.",
    "over-dossiers": "{ratings} phiếu qua màn hình tại quầy ngày {day}, nhưng chỉ {dossiers} "
    "hồ sơ được tiếp nhận hoặc trả kết quả.",
}
