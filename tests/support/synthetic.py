"""A synthetic NER task small enough to learn perfectly in seconds, and the tiny settings that learn it."""
import random

PEOPLE = ["Alice", "Bob", "Carol", "Dmitri", "Eve", "Farah", "Gustavo", "Hiro"]
PLACES = ["Paris", "Lagos", "Lima", "Oslo", "Kyoto", "Quebec City", "New York"]
ORGS = ["Acme Corp", "Globex", "Initech", "Umbrella Group"]
TEMPLATES = [
    "{PER} met {PER} in {LOC} .",
    "{PER} works for {ORG} .",
    "{ORG} opened an office in {LOC} .",
    "yesterday {PER} flew to {LOC} with {PER} .",
    "the weather was nice .",
    "{ORG} hired {PER} last week .",
]
FILLERS = {"PER": PEOPLE, "LOC": PLACES, "ORG": ORGS}

# Small enough to train in seconds on 2 cores, large enough to learn the task.
TINY = {"word_dim": 16, "char_dim": 8, "char_filters": 16, "lstm_units": 16, "batch_size": 16,
        "eval_batch_size": 64, "dropout": 0.1, "learning_rate": 0.01, "eval_every_steps": 100,
        "log_every_steps": 50, "early_stopping_patience": 0}


def synthetic_sentences(n, seed):
    """``n`` (tokens, IOB2 tags) pairs from the templates."""
    rng = random.Random(seed)
    out = []
    for _ in range(n):
        tokens, tags = [], []
        for piece in rng.choice(TEMPLATES).split():
            kind = piece.strip("{}") if piece.startswith("{") else None
            if kind:
                words = rng.choice(FILLERS[kind]).split()
                tokens += words
                tags += [f"B-{kind}"] + [f"I-{kind}"] * (len(words) - 1)
            else:
                tokens.append(piece)
                tags.append("O")
        out.append((tokens, tags))
    return out


def write_conll(path, sentences, sep="\t"):
    with open(path, "w", encoding="utf-8") as fh:
        for tokens, tags in sentences:
            fh.writelines(f"{t}{sep}{g}\n" for t, g in zip(tokens, tags))
            fh.write("\n")
    return str(path)


# The shared run's schedule: 300 is not a multiple of 80, so the run also shows that the last step is evaluated.
TRAINED_STEPS, TRAINED_EVAL_EVERY = 300, 80


# Two sentences, the second padded; "Zorblax" and its "Z"/"x"... are out of vocabulary on purpose (model_fn
# and network tests).
WORDS = [["Alice", "met", "Zorblax", "in", "Paris", "."], ["Ωmega", "works", "", "", "", ""]]
TAGS = [["B-PER", "O", "B-PER", "O", "B-LOC", "O"], ["B-ORG", "O", "O", "O", "O", "O"]]
LENGTHS = [6, 2]
