"""Visible tests of ex10 (generated from its master; do not edit).

Run them with: python -m rpc_impersonation.grading check ex10
The answers below were stored when the exercise was generated, for these cases only.
"""
from rpc_impersonation.grading.spec import load_cases

ALLOW = ('rpc_impersonation.constants', 'rpc_impersonation.errors')

CASES = [{'name': "order('serve a file as the caller')",
  'points': 1,
  'hidden': False,
  'call': 'order',
  'args': ['serve a file as the caller'],
  'accepted': [],
  'rule': 'R17',
  'section': '01.cycle',
  'right': '',
  'wrong': [],
  'misconception': '',
  'judge': 'order',
  'before': [['impersonate the caller', 'open the file', 'order-work-before-impersonate', 'R17', '01.cycle'],
             ['impersonate the caller', 'check the result', 'failure-is-harmless', 'R10', '01.codes'],
             ['check the result', 'open the file', 'failure-is-harmless', 'R11', '01.unchecked'],
             ['open the file', 'revert to self', 'order-revert-early', 'R17', '01.cycle'],
             ['revert to self', 'return', 'auto-revert', 'R14', '01.revert']],
  'steps': ['check the result', 'impersonate the caller', 'open the file', 'return', 'revert to self']}]

load_cases(CASES)
