"""``python -m bench`` (or ``make bench``): runs every benchmark in turn."""

from __future__ import annotations

from bench import iot_pipeline, sender_throughput, trade_flow, ucp_examination


def main() -> None:
    sender_throughput.main()
    trade_flow.main()
    iot_pipeline.main()
    ucp_examination.main()
    ucp_examination.end_to_end()


if __name__ == "__main__":
    main()
