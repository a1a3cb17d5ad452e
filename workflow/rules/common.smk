# Shared helpers: output paths and the config checks a JSON schema cannot express.
import os

RESULTS = config["results"]


def result(path):
    return os.path.join(RESULTS, path)


def local_inputs(*sources):
    """The data files a rule reads, so Snakemake re-runs it when they change (hub ids are not files)."""
    return [s for s in sources if s and not s.startswith("hub:") and os.path.exists(s)]


def check_config(cfg):
    data = cfg["data"]
    room = data["max_seq_length"] - data["max_query_length"] - 3
    if room <= 0:
        raise ValueError(
            f"config: data.max_query_length ({data['max_query_length']}) leaves no room for context "
            f"in data.max_seq_length ({data['max_seq_length']})"
        )
    if data["doc_stride"] >= room:
        raise ValueError(
            f"config: data.doc_stride ({data['doc_stride']}) must be smaller than the context room of a "
            f"window (max_seq_length - max_query_length - 3 = {room})"
        )


check_config(config)
