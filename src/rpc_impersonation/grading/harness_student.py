"""What the student process holds besides the student's module: standard library only.

Part of the harness (copied into the sandbox beside ``harness.py``): the capped output that stands in
for stdout and stderr, and the import hook that explains a package module the exercise does not allow.
"""

__all__ = ["Capped", "NotAllowed"]


class Capped:
    """sys.stdout and sys.stderr of the student process: keeps the first ``limit`` characters, counts the rest."""

    def __init__(self, limit):
        self.limit, self.parts, self.size, self.dropped = limit, [], 0, 0
        self.encoding, self.errors = "utf-8", "strict"

    def write(self, s):
        s = str(s)
        if self.size < self.limit:
            keep = s[: self.limit - self.size]
            self.parts.append(keep)
            self.size += len(keep)
            self.dropped += len(s) - len(keep)
        else:
            self.dropped += len(s)
        return len(s)

    def flush(self):
        pass

    def isatty(self):
        return False

    def take(self):
        text = "".join(self.parts)
        if self.dropped:
            text += f"\n[... {self.dropped} more characters of output dropped]"
        self.parts, self.size, self.dropped = [], 0, 0
        return text


class NotAllowed:
    """Last on sys.meta_path: a clear message for a package module the view does not hold.

    Only the message: what can be imported is decided by what the view holds."""

    def __init__(self, allowed):
        self.allowed = allowed

    def find_spec(self, name, path=None, target=None):
        if name == "rpc_impersonation" or name.startswith("rpc_impersonation."):
            raise ModuleNotFoundError(
                f"{name} is not allowed in this exercise; your code may import only "
                f"{', '.join(self.allowed) or 'nothing'} from rpc_impersonation (and the standard library)",
                name=name,
            )
        return None
