import {
  DEFAULT_HELP_KEYWORDS,
  DEFAULT_OPT_IN_KEYWORDS,
  DEFAULT_OPT_OUT_KEYWORDS,
  normalizeKeyword,
} from '../config/keywords';
import { keywordAction } from './keywords';

const lists = {
  optOut: [...DEFAULT_OPT_OUT_KEYWORDS, 'STOP ALL'],
  optIn: [...DEFAULT_OPT_IN_KEYWORDS],
  help: [...DEFAULT_HELP_KEYWORDS],
};

describe('keywordAction', () => {
  it.each([
    ['STOP', 'opt_out'],
    ['stop', 'opt_out'],
    ['  Stop\n', 'opt_out'],
    ['unsubscribe', 'opt_out'],
    ['stop   all', 'opt_out'],
    ['Stop\tAll', 'opt_out'],
    ['START', 'opt_in'],
    ['yes', 'opt_in'],
    ['Unstop', 'opt_in'],
    ['help', 'help'],
    [' INFO ', 'help'],
    ['stop please', 'none'],
    ['STOP!', 'none'],
    ['please stop', 'none'],
    ['', 'none'],
    ['   ', 'none'],
    ['Hi there', 'none'],
  ])('%j is %s', (body, action) => {
    expect(keywordAction(body, lists)).toBe(action);
  });

  it('matches configured keywords written in any case or spacing', () => {
    expect(keywordAction('arret', { optOut: ['ARRET'], optIn: [], help: [] })).toBe('opt_out');
  });
});

describe('normalizeKeyword', () => {
  it('trims, collapses inner white space and upper-cases', () => {
    expect(normalizeKeyword(' stop \t  all ')).toBe('STOP ALL');
  });
});
