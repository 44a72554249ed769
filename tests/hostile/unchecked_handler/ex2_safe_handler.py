def handle_request(thread):
    thread.rpc_impersonate_client()           # result ignored: the classic bug
    try:
        return thread.open("report.txt").code_name
    finally:
        thread.rpc_revert_to_self()
