"""The cases in cases/ run inside the LiteLLM stand-in image (test_engine_live.py), not in this pytest."""

collect_ignore = ["cases"]
