import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { ConfigError, loadConfig, opt, parseIni } from './oslo-config.js';

const schema = {
  DEFAULT: { debug: opt.bool(false) },
  ml2: { type_drivers: opt.list(['local']), path_mtu: opt.int(1500, { min: 0 }) },
  ml2_type_vxlan: { vni_ranges: opt.list([]), vxlan_group: opt.str(null) },
};

describe('oslo-config', () => {
  it('reads typed values, keeps defaults, warns about unknown options with file and line', () => {
    const warnings: string[] = [];
    const text =
      '[DEFAULT]\n# comment\n[ml2]\ntype_drivers = vxlan, flat\npath_mtu=0\ntypo_option = 1\n[ml2_type_vxlan]\nvni_ranges=10:100\n';
    const v = loadConfig(schema, { path: 'ml2_conf.ini', text }, (w) => warnings.push(w));
    assert.deepEqual(v.ml2.type_drivers, ['vxlan', 'flat']);
    assert.equal(v.ml2.path_mtu, 0);
    assert.equal(v.DEFAULT.debug, false);
    assert.deepEqual(v.ml2_type_vxlan.vni_ranges, ['10:100']);
    assert.equal(v.ml2_type_vxlan.vxlan_group, null);
    assert.deepEqual(warnings, ['ml2_conf.ini:6: unknown option [ml2] typo_option ignored']);
  });

  it('refuses a bad value with the file and line', () => {
    assert.throws(
      () => loadConfig(schema, { path: 'ml2_conf.ini', text: '[ml2]\n\npath_mtu = lots\n' }),
      (e: unknown) =>
        e instanceof ConfigError &&
        e.line === 3 &&
        e.message ===
          "ml2_conf.ini:3: invalid value 'lots' for [ml2] path_mtu: expected an integer (0 to inf)",
    );
    assert.throws(
      () => loadConfig(schema, { path: 'x.ini', text: '[DEFAULT]\ndebug = maybe\n' }),
      /x\.ini:2:/,
    );
    assert.throws(
      () => parseIni('type_drivers = vxlan\n', 'f.ini'),
      /f\.ini:1: option outside of any section/,
    );
  });

  it('joins indented continuation lines', () => {
    const v = loadConfig(schema, {
      path: 'a.ini',
      text: '[ml2_type_vxlan]\nvni_ranges = 10:100,\n  200:300\n',
    });
    assert.deepEqual(v.ml2_type_vxlan.vni_ranges, ['10:100', '200:300']);
  });
});
