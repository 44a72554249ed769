import os

TARGET = os.environ.get("HOSTILE_TARGET", "")  # the test tells this submission where the results are


def can_do(level, capability, placement):
    for name in ("gradebook.csv", "students/victim.json"):
        try:
            with open(os.path.join(TARGET, name), "w") as f:
                f.write("victim,100,100,100,100,100,100,100,100,800,800\n")
        except OSError:
            pass
    return True
