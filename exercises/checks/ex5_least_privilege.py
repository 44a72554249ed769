"""Visible tests of ex5 (generated from its master; do not edit).

Run them with: python -m rpc_impersonation.grading check ex5
The answers below were stored when the exercise was generated, for these cases only.
"""
from rpc_impersonation.grading.spec import load_cases

ALLOW = ('rpc_impersonation.constants', 'rpc_impersonation.errors')

CASES = [{'name': 'DB1 reads sales as Alice',
  'points': 2,
  'hidden': False,
  'call': 'configure',
  'args': [],
  'accepted': [True],
  'rule': 'R19',
  'section': '04.conditions',
  'right': '',
  'wrong': [],
  'misconception': '',
  'judge': 'rpc_impersonation.grading.judges:delegation_design',
  'aspect': 'db1-alice'},
 {'name': 'DB2 never sees Alice',
  'points': 2,
  'hidden': False,
  'call': 'configure',
  'args': [],
  'accepted': [True],
  'rule': 'M2',
  'section': '04.limits',
  'right': '',
  'wrong': [],
  'misconception': '',
  'judge': 'rpc_impersonation.grading.judges:delegation_design',
  'aspect': 'db2-not-alice'}]

load_cases(CASES)
