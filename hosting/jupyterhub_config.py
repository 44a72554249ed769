# JupyterHub for a class on one machine (see docs/hosting.md).
#
#   sudo .venv/bin/jupyterhub -f hosting/jupyterhub_config.py      # from the course folder, as root
#
# Learners sign in with their local accounts (PAM) when they are members of the group COURSE_GROUP;
# each gets a JupyterLab server running as that account, with the course's virtual environment
# (so the package, Graphviz bindings and widgets are there) and, on first start, a copy of
# notebooks/ and exercises/ in ~/course. A learner's copy is never overwritten; updates reach
# learners with nbgitpuller links instead. The proxy is the configurable-http-proxy that
# scripts/setup.sh installs into hosting/node_modules (npm ci), not a global one.
#
# Settings from the environment (all optional):
#   COURSE_HUB_URL   address the hub listens on       default http://127.0.0.1:8000 (put TLS in front)
#   COURSE_GROUP     Unix group whose members may sign in           default students
#   COURSE_ADMINS    comma-separated accounts that administer the hub   default none
#   COURSE_ROOT      the course checkout         default the folder above this file
#   COURSE_VENV      its virtual environment     default $COURSE_ROOT/.venv
import os
import shutil
from pathlib import Path

c = get_config()  # noqa: F821  (JupyterHub provides get_config)

COURSE = Path(os.environ.get("COURSE_ROOT", Path(__file__).resolve().parent.parent))
VENV = Path(os.environ.get("COURSE_VENV", COURSE / ".venv"))
COPIED = ("notebooks", "exercises")   # what a learner gets; never solutions/

c.JupyterHub.bind_url = os.environ.get("COURSE_HUB_URL", "http://127.0.0.1:8000")
c.JupyterHub.hub_ip = "127.0.0.1"
c.ConfigurableHTTPProxy.command = [str(COURSE / "hosting" / "node_modules" / ".bin" / "configurable-http-proxy")]
c.ConfigurableHTTPProxy.api_url = "http://127.0.0.1:8001"

c.JupyterHub.authenticator_class = "pam"
c.LocalAuthenticator.allowed_groups = {os.environ.get("COURSE_GROUP", "students")}
c.Authenticator.admin_users = {name for name in os.environ.get("COURSE_ADMINS", "").split(",") if name}

c.JupyterHub.spawner_class = "localprocess"
c.Spawner.cmd = [str(VENV / "bin" / "jupyterhub-singleuser")]
c.Spawner.default_url = "/lab/tree/course/notebooks/00_start_here.ipynb"
# ten servers and their first kernels starting at once on two cores need more than the default 60 s
c.Spawner.start_timeout = 180
c.Spawner.http_timeout = 180
c.JupyterHub.concurrent_spawn_limit = 50
c.JupyterHub.cleanup_servers = True


def learner_home(spawner) -> Path:
    """The learner's home folder: the spawner's own for test spawners, else the account's."""
    home = getattr(spawner, "home_dir", "")
    if home:
        return Path(home)
    import pwd
    return Path(pwd.getpwnam(spawner.user.name).pw_dir)


def copy_course(spawner) -> None:
    """Give a learner ~/course/{notebooks,exercises} on first start; later starts leave their work alone."""
    home = learner_home(spawner)
    owner = None
    if os.geteuid() == 0 and not getattr(spawner, "home_dir", ""):
        import pwd
        entry = pwd.getpwnam(spawner.user.name)
        owner = (entry.pw_uid, entry.pw_gid)
    for folder in COPIED:
        target = home / "course" / folder
        if target.exists():
            continue
        shutil.copytree(COURSE / folder, target,
                        ignore=shutil.ignore_patterns("source", ".ipynb_checkpoints", "__pycache__"))
        if owner:
            for path in [home / "course", *target.rglob("*"), target]:
                os.chown(path, *owner)


c.Spawner.pre_spawn_hook = copy_course
