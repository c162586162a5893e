"""Makes rouge_l_pairs.jsonl: hypothesis/reference pairs and the Rouge-L F-measure of the Python
package `rouge` 1.0.1 (`Rouge().get_scores(hyp, ref)[0]['rouge-l']['f']`).

Run with the reference venv:  ~/.cache/fedhds-reference/venv/bin/python make_rouge_goldens.py
Inputs: the repo's data/dolly/databricks-dolly-15k.jsonl. Output lines: {"hyp", "ref", "f", "raised"}.
"f" follows the FedHDS evaluation (evaluations.rouge_score): 0.0 for an empty hypothesis and when
the package raises ValueError ("raised" then names it). Python's recursion limit is raised so that
the package's recursive LCS backtracking can run on very long sentences (it would otherwise raise
RecursionError); the value is the package's own.
"""
import json, os, random, sys, threading
from importlib.metadata import version

from rouge import Rouge

assert version("rouge") == "1.0.1", version("rouge")
HERE = os.path.dirname(os.path.abspath(__file__))
DOLLY = os.path.join(HERE, "..", "..", "..", "data", "dolly", "databricks-dolly-15k.jsonl")
rouge = Rouge()


def reference_score(hyp, ref):
    if len(hyp) == 0:
        return 0.0, "empty hypothesis"
    try:
        return rouge.get_scores([hyp], [ref])[0]["rouge-l"]["f"], None
    except ValueError as e:
        return 0.0, "ValueError: " + str(e)


def perturb(text, rng):
    words = text.split(" ")
    kind = rng.randrange(9)
    if kind == 0:  # drop words
        words = [w for w in words if rng.random() > 0.3]
    elif kind == 1:  # swap neighbours
        for _ in range(max(1, len(words) // 5)):
            if len(words) > 1:
                i = rng.randrange(len(words) - 1)
                words[i], words[i + 1] = words[i + 1], words[i]
    elif kind == 2:  # change case
        words = [w.upper() if rng.random() < 0.3 else w for w in words]
    elif kind == 3:  # punctuation and dots
        words = [w + rng.choice([".", ",", "!", " .", "..", "?"]) if rng.random() < 0.2 else w for w in words]
    elif kind == 4:  # duplicate words
        out = []
        for w in words:
            out.append(w)
            if rng.random() < 0.2:
                out.append(w)
        words = out
    elif kind == 5:  # reorder sentences
        sents = text.split(".")
        rng.shuffle(sents)
        return ".".join(sents)
    elif kind == 6:  # truncate
        words = words[: max(0, int(len(words) * rng.random()))]
    elif kind == 7:  # replace some words by words of other text
        words = [w if rng.random() > 0.25 else rng.choice(["the", "a", "and", "of", "is", "Yes", "No"]) for w in words]
    else:  # whitespace noise
        return rng.choice(["\n", "\t", "  ", " \u00a0", "\u2003"]).join(words)
    return " ".join(words)


def main():
    rng = random.Random(20241121)
    with open(DOLLY, encoding="utf-8") as f:
        records = [json.loads(line) for line in f]
    responses = [r["response"] for r in records]
    pairs = []
    # 1. Hand-made edge cases.
    edge = [
        ("", "a reference"), ("a hypothesis", ""), ("", ""), (".", "a b"), ("a b", "."), ("...", "..."),
        (" ", "a"), ("a", " "), (" . ", "x"), ("\t\n", "\t\n"), ("!!!", "!!!"), ("?!,;:", "?!,;: x"),
        ("- - -", "-"), ("a.b.c", "a b c"), ("a. b. c.", "c. b. a."), ("The cat.", "the cat"),
        ("Hello, world!", "hello world"), ("word,", "word"), ("a a a a", "a"), ("a", "a a a a"),
        ("x y z", "p q r"), ("same text here", "same text here"), ("café", "cafe\u0301"),
        ("e\u0301 .\u0301 x", "é x"), ("日本語 の テキスト", "日本語 テキスト"), ("日本語のテキスト。", "日本語のテキスト。"),
        ("emoji 😀 test 🎉", "test 😀 emoji"), ("мир труд май", "Мир труд май"), ("مرحبا بالعالم", "مرحبا"),
        ("a\u00a0b", "a b"), ("a\u2003b\u3000c", "a b c"), ("a\u200bb", "a b"), ("a\x1cb\x1dc", "a b c"),
        ("a\u0085b", "a b"), ("a\u2028b\u2029c", "a b c"), ("tab\tsep\tarated", "tab sep arated"),
        ("1. first 2. second", "first second"), ("3.14 is pi", "pi is 3.14"), ("U.S.A. is big", "USA is big"),
        ("...a...b...", "a b"), ("a .. b", "a b"), (". a", "a ."), ("ß straße", "SS STRASSE"),
        ("İstanbul ıi", "istanbul ii"), ("ﬁne ligature", "fine ligature"), ("\ufeffbom start", "bom start"),
        ("zero\u200dwidth joiner", "zero width joiner"), ("a\r\nb", "a b"), ("  leading and trailing  ", "leading and trailing"),
    ]
    pairs.extend(edge)
    # 2. Real responses vs perturbed ones, vs other responses, vs themselves.
    picks = rng.sample(range(len(responses)), 900)
    for k, i in enumerate(picks):
        ref = responses[i]
        if k % 10 == 0:
            hyp = responses[rng.randrange(len(responses))]
        elif k % 29 == 0:
            hyp = ref
        else:
            hyp = perturb(ref, rng)
        pairs.append((hyp, ref) if k % 7 else (ref, hyp))
    # 3. Contexts (longer texts) vs perturbed.
    contexts = [r["context"] for r in records if len(r["context"]) > 1500]
    for c in rng.sample(contexts, 60):
        pairs.append((perturb(c, rng), c))
    # 4. Very long texts: many sentences, and single sentences of thousands of words.
    longs = []
    for _ in range(6):
        text = " ".join(rng.sample(responses, 40))
        longs.append((perturb(text, rng), text))
    for _ in range(4):
        words = " ".join(rng.sample(responses, 25)).replace(".", " ").split()
        text = " ".join(words[:1500])
        longs.append((" ".join(w for w in words[:1500] if rng.random() > 0.2), text))
    pairs.extend(longs)
    # 5. Random unicode soup.
    alphabet = list("abc ABC.,!?-'\"\t\n") + ["é", "e\u0301", "日", "本", "😀", "\u00a0", "\u2003", "\u200b", "ß", "."]
    for _ in range(40):
        h = "".join(rng.choice(alphabet) for _ in range(rng.randrange(0, 40)))
        r = "".join(rng.choice(alphabet) for _ in range(rng.randrange(0, 40)))
        pairs.append((h, r))

    out = os.path.join(HERE, "rouge_l_pairs.jsonl")
    with open(out, "w", encoding="utf-8") as f:
        for hyp, ref in pairs:
            score, raised = reference_score(hyp, ref)
            f.write(json.dumps({"hyp": hyp, "ref": ref, "f": score, "raised": raised}, ensure_ascii=False) + "\n")
    print(len(pairs), "pairs ->", out)


if __name__ == "__main__":
    sys.setrecursionlimit(1_000_000)
    threading.stack_size(512 * 1024 * 1024)
    t = threading.Thread(target=main)
    t.start()
    t.join()
