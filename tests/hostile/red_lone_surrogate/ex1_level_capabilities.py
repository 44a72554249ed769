# A lone surrogate (not encodable as UTF-8) in what it prints and in its exception messages. The JSON
# frame carries it fine ("\udcff"), but the grader then writes it into feedback/<name>.md as UTF-8:
# UnicodeEncodeError, and the whole class run ends without a gradebook (every re-run the same).
print("printed \ud800 text")


def can_do(level, capability, placement):
    raise ValueError("a message with \udcff in it")
