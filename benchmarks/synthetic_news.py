"""A synthetic news corpus: long, formal sentences with CoNLL-2003's entity types (PER, ORG, LOC, MISC).

    python -m benchmarks.synthetic_news OUT_DIR [--seed 13] [--train 4000 --dev 800 --test 800]

writes ``OUT_DIR/{train,dev,test}.conll`` (token TAB IOB2 tag, a blank line between sentences). The
benchmark's second corpus shape beside WNUT-17's tweets: sentences of 8-70 tokens (mean about 30), capitalised
words, numbers and dates, as newswire has. It is SYNTHETIC: every sentence is one to three clauses drawn from
the templates below, their slots filled from the word lists below, with :class:`random.Random` (``seed``),
so the same arguments always write the same files. Names in dev and test are drawn partly from name lists
that train never sees, so the tagger meets unknown words (as on real text) and has to use their shape and
context. The figures it gives are about speed on this shape of text; its F1 says little about real news.
"""
import argparse
import os
import random
from typing import List, Sequence, Tuple

Sentence = List[Tuple[str, str]]

FIRST = ("John Maria Ahmed Li Elena Pierre Kenji Fatima Carlos Anna Viktor Grace Samuel Olga Rahul Ingrid Diego "
         "Hannah Tomasz Amara Lucas Mei Omar Sofia Daniel Yusuf Clara Ivan Nadia Peter Aiko Mateo Leila Felix "
         "Rosa Hugo Priya Stefan Chloe Kwame").split()
LAST = ("Smith Garcia Khan Wang Petrova Dubois Tanaka Haddad Mendes Novak Ivanov Okafor Schmidt Rossi Patel "
        "Larsen Alvarez Cohen Kowalski Mensah Silva Chen Farouk Moreau Brennan Yilmaz Fischer Sokolov Nasser "
        "Walsh Sato Romero Haddad Keller Lopez Bianchi Sharma Weber Martin Owusu").split()
# Only in dev and test: names the training file never shows.
FIRST_UNSEEN = "Bartholomew Zainab Oskar Ngozi Thiago Freya Anselm Dilnoza Ruairi Imogen".split()
LAST_UNSEEN = "Abernathy Wojcik Oyelaran Castellanos Lindqvist Takahashi Mbeki Szabo Quintero Hallgrimsson".split()
ORGS = ["United Nations", "European Union", "World Bank", "Reuters", "Siemens", "Toyota", "Barclays",
        "Nestle", "Unilever", "Red Cross", "International Monetary Fund", "NATO", "Bank of England",
        "Federal Reserve", "General Motors", "Deutsche Bank", "Air France", "Shell", "Microsoft", "Samsung",
        "Ajax Amsterdam", "Real Madrid", "Manchester United", "Bayern Munich", "Boca Juniors",
        "Supreme Court", "Central Bank", "Labour Party", "Liberal Democrats", "World Health Organisation"]
ORGS_UNSEEN = ["Kestrel Holdings", "Norvane Group", "Baltic Shipping Company", "Orinoco Mining",
               "Lakeshore Insurance", "Vesta Telecom"]
LOCS = ["London", "Paris", "Berlin", "Tokyo", "Moscow", "Washington", "Beijing", "Nairobi", "Lima", "Madrid",
        "Rome", "Cairo", "Sydney", "Toronto", "Mumbai", "Istanbul", "Brussels", "Geneva", "Seoul", "Jakarta",
        "New York", "Hong Kong", "South Africa", "United States", "Brazil", "Germany", "France", "Japan",
        "Kenya", "Argentina", "Poland", "Egypt", "India", "Canada", "Mexico", "Sri Lanka", "New Zealand",
        "Saudi Arabia", "Buenos Aires", "Rio de Janeiro"]
LOCS_UNSEEN = ["Tromso", "Ouagadougou", "Chittagong", "Valparaiso", "Samarkand", "Kuching"]
MISC = ["British", "French", "German", "Japanese", "Russian", "Chinese", "American", "Brazilian", "Kenyan",
        "Indian", "Egyptian", "Polish", "European", "African", "Asian", "Olympic Games", "World Cup",
        "Davis Cup", "Tour de France", "Nobel Prize", "Euro", "Dow Jones", "Nikkei", "Grand Prix"]
ROLES = ("minister spokesman chairman director official analyst coach striker president governor chief "
         "economist envoy lawyer commander").split()
NOUNS = ("talks agreement deal report plan budget proposal investigation election match season results profits "
         "sales shares prices rates exports growth inflation contract merger dispute ceasefire vote "
         "tournament strike summit").split()
VERBS_SAID = "said told reported announced confirmed added warned stated".split()
VERBS = ("signed rejected approved delayed welcomed criticised cancelled extended announced defended "
         "postponed backed opposed finalised reviewed").split()
ADJ = ("new annual final early late major joint quarterly provisional second third key fresh formal "
       "long-awaited").split()
MONTHS = ("January February March April May June July August September October November December").split()
DAYS = "Monday Tuesday Wednesday Thursday Friday Saturday Sunday".split()
UNITS = "percent million billion tonnes points dollars euros".split()


class _Writer:
    """Fills templates into ``(word, IOB2 tag)`` lists; ``unseen``: also draw from the unseen-name lists."""

    def __init__(self, rng: random.Random, unseen: bool):
        self.rng, self.unseen = rng, unseen

    def pick(self, seen: Sequence[str], unseen: Sequence[str] = ()) -> str:
        if self.unseen and unseen and self.rng.random() < 0.3:
            return self.rng.choice(unseen)
        return self.rng.choice(seen)

    @staticmethod
    def entity(text: str, kind: str) -> Sentence:
        words = text.split()
        return [(w, ("B-" if i == 0 else "I-") + kind) for i, w in enumerate(words)]

    @staticmethod
    def plain(text: str) -> Sentence:
        return [(w, "O") for w in text.split()]

    def person(self) -> Sentence:
        if self.rng.random() < 0.3:
            return self.entity(self.pick(LAST, LAST_UNSEEN), "PER")
        return self.entity(f"{self.pick(FIRST, FIRST_UNSEEN)} {self.pick(LAST, LAST_UNSEEN)}", "PER")

    def org(self) -> Sentence:
        return self.entity(self.pick(ORGS, ORGS_UNSEEN), "ORG")

    def loc(self) -> Sentence:
        return self.entity(self.pick(LOCS, LOCS_UNSEEN), "LOC")

    def misc(self) -> Sentence:
        return self.entity(self.rng.choice(MISC), "MISC")

    def number(self) -> Sentence:
        r = self.rng
        value = f"{r.randint(1, 999)}.{r.randint(0, 9)}" if r.random() < 0.5 else str(r.randint(2, 9999))
        return self.plain(f"{value} {r.choice(UNITS)}")

    def date(self) -> Sentence:
        r = self.rng
        return self.plain(r.choice([f"on {r.choice(DAYS)}", f"in {r.choice(MONTHS)}",
                                    f"on {r.choice(MONTHS)} {r.randint(1, 28)}", "last week", "this year"]))

    def clause(self) -> Sentence:
        r, p = self.rng, self.plain
        choice = r.randrange(8)
        if choice == 0:
            return (self.person() + p(",") + p(f"the {r.choice(ROLES)} of") + self.org() + p(",")
                    + p(r.choice(VERBS_SAID)) + p(f"the {r.choice(ADJ)} {r.choice(NOUNS)} would be")
                    + p(r.choice(VERBS)) + self.date())
        if choice == 1:
            return (self.org() + p(f"{r.choice(VERBS)} the {r.choice(NOUNS)} with") + self.org() + p("in")
                    + self.loc() + self.date())
        if choice == 2:
            return (p(f"{r.choice(ADJ).capitalize()} {r.choice(NOUNS)} in") + self.loc() + p("rose")
                    + self.number() + p("to") + self.number() + self.date())
        if choice == 3:
            return (self.misc() + p(f"{r.choice(ROLES)}") + self.person() + p(f"{r.choice(VERBS)} the")
                    + p(f"{r.choice(NOUNS)} after meeting") + self.person() + p("in") + self.loc())
        if choice == 4:
            return (p("According to") + self.org() + p(",") + p(f"{r.choice(NOUNS)} from") + self.loc()
                    + p("fell") + self.number() + p(f"in the {r.choice(ADJ)} quarter"))
        if choice == 5:
            return (self.person() + p("scored twice as") + self.org() + p("beat") + self.org()
                    + p(f"{r.randint(0, 5)}-{r.randint(0, 4)} in the") + self.misc() + self.date())
        if choice == 6:
            return (p(f"The {r.choice(ROLES)}") + p(r.choice(VERBS_SAID)) + p("that") + self.loc()
                    + p("and") + self.loc() + p(f"had {r.choice(VERBS)} the {r.choice(NOUNS)}"))
        return (p("Shares of") + self.org() + p("closed at") + self.number() + p("on the") + self.misc()
                + p("index") + self.date() + p(",") + p(r.choice(VERBS_SAID)) + self.person())

    def sentence(self) -> Sentence:
        r = self.rng
        words = self.clause()
        for _ in range(r.choice((0, 0, 1, 1, 2))):
            words += self.plain(r.choice([", while", ", and", "; meanwhile", ", although", ", after"]))
            following = self.clause()
            first, tag = following[0]
            if tag == "O" and first not in ("According", "Shares", "The"):
                following[0] = (first[0].lower() + first[1:], tag)
            words += following
        return words + [(".", "O")]


def generate(count: int, seed: int, unseen: bool) -> List[Sentence]:
    writer = _Writer(random.Random(seed), unseen)
    return [writer.sentence() for _ in range(count)]


def write(out_dir: str, seed: int = 13, sizes=(("train", 4000), ("dev", 800), ("test", 800))) -> List[str]:
    """Writes the three splits (each from its own seed, derived from ``seed``); returns their paths."""
    os.makedirs(out_dir, exist_ok=True)
    paths = []
    for index, (split, count) in enumerate(sizes):
        sentences = generate(count, seed * 100 + index, unseen=split != "train")
        path = os.path.join(out_dir, f"{split}.conll")
        with open(path, "w", encoding="utf-8") as fh:
            for sentence in sentences:
                fh.write("".join(f"{w}\t{t}\n" for w, t in sentence) + "\n")
        paths.append(path)
    return paths


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("out_dir")
    parser.add_argument("--seed", type=int, default=13)
    parser.add_argument("--train", type=int, default=4000)
    parser.add_argument("--dev", type=int, default=800)
    parser.add_argument("--test", type=int, default=800)
    args = parser.parse_args(argv)
    for path in write(args.out_dir, args.seed, (("train", args.train), ("dev", args.dev), ("test", args.test))):
        print(path)


if __name__ == "__main__":
    main()
