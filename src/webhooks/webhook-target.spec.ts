import { addressKind, webhookUrlRefusal } from './webhook-target.js';

const STRICT = { allowLoopback: false, allowPrivateNetworks: false };
const LOOPBACK = { allowLoopback: true, allowPrivateNetworks: false };
const PRIVATE = { allowLoopback: false, allowPrivateNetworks: true };

describe('addressKind', () => {
  it.each([
    ['93.184.215.14', 'public'],
    ['2606:2800:21f:cb07:6820:80da:af6b:8b2c', 'public'],
    ['127.0.0.1', 'loopback'],
    ['127.255.0.9', 'loopback'],
    ['::1', 'loopback'],
    ['::ffff:127.0.0.1', 'loopback'],
    ['10.1.2.3', 'private'],
    ['172.31.255.255', 'private'],
    ['192.168.0.1', 'private'],
    ['100.64.0.1', 'private'],
    ['fd12:3456::1', 'private'],
    ['::ffff:10.0.0.1', 'private'],
    ['169.254.169.254', 'link-local'],
    ['fe80::1', 'link-local'],
    ['0.0.0.0', 'reserved'],
    ['::', 'reserved'],
    ['224.0.0.1', 'reserved'],
    ['ff02::1', 'reserved'],
    ['64:ff9b::a00:1', 'reserved'],
    ['not-an-ip', 'reserved'],
  ])('%s is %s', (ip, kind) => {
    expect(addressKind(ip)).toBe(kind);
  });
});

describe('webhookUrlRefusal', () => {
  it('accepts an https URL on a public name or address', () => {
    expect(webhookUrlRefusal('https://hooks.example.com/gatehouse?x=1', STRICT)).toBeNull();
    expect(webhookUrlRefusal('https://93.184.215.14:8443/in', STRICT)).toBeNull();
  });

  it.each([
    ['http://hooks.example.com/', 'https'],
    ['https://127.0.0.1/', 'loopback'],
    ['http://localhost:8080/', 'loopback'],
    ['https://api.localhost/', 'loopback'],
    ['https://[::1]/', 'loopback'],
    ['https://2130706433/', 'loopback'],
    ['https://0x7f.1/', 'loopback'],
    ['https://10.0.0.1/', 'private'],
    ['https://169.254.169.254/', 'link-local'],
    ['https://u:p@hooks.example.com/', 'user name or password'],
    ['https://hooks.example.com/#x', 'fragment'],
    ['file:///etc/passwd', 'https'],
    ['//hooks.example.com', 'absolute'],
    [`https://hooks.example.com/${'a'.repeat(2000)}`, 'longer'],
  ])('refuses %s without the flags (%s)', (url, reason) => {
    expect(webhookUrlRefusal(url, STRICT)).toContain(reason);
  });

  it('accepts loopback, over http too, only with WEBHOOK_ALLOW_LOOPBACK', () => {
    expect(webhookUrlRefusal('http://127.0.0.1:3000/in', LOOPBACK)).toBeNull();
    expect(webhookUrlRefusal('http://localhost:3000/in', LOOPBACK)).toBeNull();
    expect(webhookUrlRefusal('http://[::1]:3000/in', LOOPBACK)).toBeNull();
    expect(webhookUrlRefusal('http://hooks.example.com/', LOOPBACK)).toContain('https');
    expect(webhookUrlRefusal('https://10.0.0.1/', LOOPBACK)).toContain('private');
  });

  it('accepts private networks, over https only, only with WEBHOOK_ALLOW_PRIVATE_NETWORKS', () => {
    expect(webhookUrlRefusal('https://10.0.0.1/in', PRIVATE)).toBeNull();
    expect(webhookUrlRefusal('http://10.0.0.1/in', PRIVATE)).toContain('https');
    expect(webhookUrlRefusal('https://169.254.169.254/', PRIVATE)).toContain('link-local');
    expect(webhookUrlRefusal('https://127.0.0.1/', PRIVATE)).toContain('loopback');
  });
});
