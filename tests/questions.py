"""Questions the verifier and the teacher tests share: about places, answerable or not."""

import pandas as pd

PLACES = [("Paris", "France", "Seine"), ("Rome", "Italy", "Tiber"), ("Berlin", "Germany", "Spree"),
          ("Vienna", "Austria", "Danube"), ("London", "England", "Thames"), ("Cairo", "Egypt", "Nile"),
          ("Prague", "Bohemia", "Vltava"), ("Budapest", "Hungary", "Danube")]
ABSENT = ["Mars", "Atlantis", "Narnia", "Gondor", "Jupiter", "Lilliput", "Oz", "Mordor"]


def questions_about_places() -> pd.DataFrame:
    """Per place: answerable questions built from its paragraph's words, unanswerable ones about a
    place the paragraph never mentions; one article per two places."""
    rows = []
    for i, (city, country, river) in enumerate(PLACES):
        context = (f"{city} is the capital of {country}. The river {river} flows through {city}. "
                   f"Its people are famous for their bread.")
        other = ABSENT[i]
        for qid, question, impossible in [
            (f"{i}a", f"What is the capital of {country}?", False),
            (f"{i}b", f"Which river flows through {city}?", False),
            (f"{i}c", f"What is the capital of {other}?", True),
            (f"{i}d", f"Which river flows through {other}?", True),
        ]:
            rows.append({"id": qid, "title": f"article{i // 2}", "context": context, "question": question,
                         "is_impossible": impossible})
    return pd.DataFrame(rows)
