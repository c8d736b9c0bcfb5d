import { expect } from 'chai';
import { headerList, headerMap } from '../src/headers.js';
import { splitKeyValue } from '../src/index.js';
import { lineageHeader } from '../src/lineage.js';

describe('splitKeyValue', () => {
  it('splits at the first "=", trimming the key and keeping the value as given', () => {
    expect(splitKeyValue(' sasl.password = a=b ')).to.deep.equal({ key: 'sasl.password', value: ' a=b ' });
    expect(splitKeyValue('flag=')).to.deep.equal({ key: 'flag', value: '' });
  });

  it('refuses a pair with no "=" or no key', () => {
    expect(splitKeyValue('linger.ms')).to.equal(undefined);
    expect(splitKeyValue('=5')).to.equal(undefined);
    expect(splitKeyValue('  =5')).to.equal(undefined);
  });
});

describe('header lists', () => {
  it('puts seda.lineage last and never takes one from the emission', () => {
    expect(headerList({ a: '1', [lineageHeader]: 'forged', b: Buffer.from('2') }, 'g/t:0:5:0')).to.deep.equal([{ a: '1' }, { b: Buffer.from('2') }, { [lineageHeader]: 'g/t:0:5:0' }]);
    expect(headerList({ [lineageHeader]: 'forged' })).to.equal(undefined);
    expect(headerList(undefined)).to.equal(undefined);
  });

  it('maps a list with the last value of a repeated name', () => {
    expect(headerMap([{ a: '1' }, { b: '2' }, { a: '3' }])).to.deep.equal({ a: '3', b: '2' });
    expect(headerMap([])).to.deep.equal({});
  });
});
