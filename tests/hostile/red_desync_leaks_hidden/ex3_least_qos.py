# Any module of a later exercise: its first reply is the one ex1's hidden process forged.
def least_level(task):
    return "identify"
