import rpc_impersonation.engine as engine

# Pretend impersonation always works; the grader replays the real consequences on its own engine.
engine.ServerThread.rpc_impersonate_client = lambda self, handle=0: type(
    "R", (), {"ok": True, "code": 0, "code_name": "ERROR_SUCCESS"})()


def handle_request(thread):
    thread.rpc_impersonate_client()
    try:
        return thread.open("report.txt").code_name
    finally:
        thread.rpc_revert_to_self()
