"""Makes ni_counts.json: the deterministic counts of the FedHDS reference's Natural Instructions
preprocessing (utils_data/natural_instruction_loader.py, zeroshot branch, eval_subsampling on) on
the shipped subset: per training task the number of instances kept (int(0.2 * n) of those with
len(input) < 1024, tasks with fewer than 20 skipped), per test task the number evaluated
(max(20, int(0.02 * n)) when n > 20). Run: python3 make_ni_counts.py (standard library only).
"""
import json, os

HERE = os.path.dirname(os.path.abspath(__file__))
NI = os.path.join(HERE, "..", "..", "..", "data", "natural-instructions")


def names(f):
    with open(os.path.join(NI, "splits", "default", f)) as r:
        return [l.strip() for l in r.readlines() if l.strip()]


def load(name):
    p = os.path.join(NI, "tasks", name + ".json")
    if not os.path.exists(p):
        return None
    with open(p, encoding="utf-8") as r:
        return json.load(r)


train, test = names("train_tasks.txt"), names("test_tasks.txt")
out = {"train_tasks_in_split": len(train), "test_tasks_in_split": len(test), "train": {}, "test": {},
       "train_missing": 0, "test_missing": 0, "train_too_small": [], "train_too_long": 0, "test_too_long": 0}
for n in train:
    t = load(n)
    if t is None:
        out["train_missing"] += 1
        continue
    inst = [i for i in t["Instances"] if len(i["input"]) < 1024]
    out["train_too_long"] += len(t["Instances"]) - len(inst)
    if len(inst) < 20:
        out["train_too_small"].append(n)
        continue
    out["train"][n] = int(len(inst) * 0.2)
for n in test:
    t = load(n)
    if t is None:
        out["test_missing"] += 1
        continue
    inst = [i for i in t["Instances"] if len(i["input"]) < 1024]
    out["test_too_long"] += len(t["Instances"]) - len(inst)
    out["test"][n] = max(20, int(0.02 * len(inst))) if len(inst) > 20 else len(inst)
with open(os.path.join(HERE, "ni_counts.json"), "w") as w:
    json.dump(out, w, indent=1, sort_keys=True)
print(len(out["train"]), "clients,", sum(out["train"].values()), "train instances;",
      len(out["test"]), "test tasks,", sum(out["test"].values()), "eval instances;",
      len(out["train_too_small"]), "too small;", out["train_too_long"], out["test_too_long"], "too long")
