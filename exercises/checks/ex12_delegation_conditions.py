"""Visible tests of ex12 (generated from its master; do not edit).

Run them with: python -m rpc_impersonation.grading check ex12
The answers below were stored when the exercise was generated, for these cases only.
"""
from rpc_impersonation.grading.spec import load_cases

ALLOW = ('rpc_impersonation.constants', 'rpc_impersonation.errors', 'rpc_impersonation.rules')

CASES = [{'name': "missing_condition({'provider': 'ntlm', 'level': 'delegate', 'mutual_auth': True, 'trusted': True, "
          "'sensitive': False})",
  'points': 1,
  'hidden': False,
  'call': 'missing_condition',
  'args': [{'level': 'delegate',
            'mutual_auth': True,
            'provider': 'ntlm',
            'sensitive': False,
            'trusted': True}],
  'accepted': ['provider'],
  'rule': 'R19',
  'section': '04.conditions',
  'right': '',
  'wrong': [['none', 'ntlm-delegates']],
  'misconception': 'delegate-alone',
  'judge': 'equals'},
 {'name': "missing_condition({'provider': 'kerberos', 'level': 'delegate', 'mutual_auth': True, 'trusted': "
          "True, 'sensitive': False})",
  'points': 1,
  'hidden': False,
  'call': 'missing_condition',
  'args': [{'level': 'delegate',
            'mutual_auth': True,
            'provider': 'kerberos',
            'sensitive': False,
            'trusted': True}],
  'accepted': ['none'],
  'rule': 'R19',
  'section': '04.conditions',
  'right': '',
  'wrong': [],
  'misconception': 'delegation-works',
  'judge': 'equals'},
 {'name': "acts_locally({'provider': 'kerberos', 'level': 'impersonate', 'mutual_auth': True, 'trusted': "
          "True, 'sensitive': False})",
  'points': 1,
  'hidden': False,
  'call': 'acts_locally',
  'args': [{'level': 'impersonate',
            'mutual_auth': True,
            'provider': 'kerberos',
            'sensitive': False,
            'trusted': True}],
  'accepted': [True],
  'rule': 'R17',
  'section': '02.matrix',
  'right': '',
  'wrong': [[False, 'impersonate-local']],
  'misconception': '',
  'judge': 'equals'},
 {'name': "acts_locally({'provider': 'kerberos', 'level': 'delegate', 'mutual_auth': False, 'trusted': True, "
          "'sensitive': False})",
  'points': 1,
  'hidden': False,
  'call': 'acts_locally',
  'args': [{'level': 'delegate',
            'mutual_auth': False,
            'provider': 'kerberos',
            'sensitive': False,
            'trusted': True}],
  'accepted': [False],
  'rule': 'R20',
  'section': '04.conditions',
  'right': '',
  'wrong': [[True, 'failure-is-harmless']],
  'misconception': '',
  'judge': 'equals'}]

load_cases(CASES)
