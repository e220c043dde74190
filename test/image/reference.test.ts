import { describe, expect, it } from 'vitest';
import {
  familiarReference,
  InvalidReferenceError,
  normalizeReference,
  parseReference,
  referenceTarget,
} from '../../src/image/reference.js';

const hex = 'a'.repeat(64);

describe('normalizeReference', () => {
  it.each([
    ['alpine', 'docker.io/library/alpine:latest'],
    ['alpine:3.19', 'docker.io/library/alpine:3.19'],
    ['library/alpine', 'docker.io/library/alpine:latest'],
    ['user/app:1.0', 'docker.io/user/app:1.0'],
    ['docker.io/alpine', 'docker.io/library/alpine:latest'],
    ['index.docker.io/library/alpine:edge', 'docker.io/library/alpine:edge'],
    ['ghcr.io/owner/repo', 'ghcr.io/owner/repo:latest'],
    ['127.0.0.1:5000/a/b:tag', '127.0.0.1:5000/a/b:tag'],
    ['localhost/app', 'localhost/app:latest'],
    ['localhost:5000/app', 'localhost:5000/app:latest'],
    ['[::1]:5000/app:v1', '[::1]:5000/app:v1'],
    ['python:3.12-slim', 'docker.io/library/python:3.12-slim'],
    ['my-org/my__app.x:Tag_1', 'docker.io/my-org/my__app.x:Tag_1'],
    [`alpine@sha256:${hex}`, `docker.io/library/alpine@sha256:${hex}`],
    [`alpine:3.19@sha256:${hex}`, `docker.io/library/alpine:3.19@sha256:${hex}`],
    [`127.0.0.1:5000/a/b@sha256:${hex}`, `127.0.0.1:5000/a/b@sha256:${hex}`],
  ])('%s → %s', (input, expected) => {
    expect(normalizeReference(input)).toBe(expected);
  });

  it('takes an upper-case first component for a registry host, as docker does', () => {
    expect(normalizeReference('MyHost/app')).toBe('MyHost/app:latest');
  });

  it('keeps the port of a registry apart from the tag', () => {
    expect(parseReference('host.example:5000/team/app')).toEqual({
      registry: 'host.example:5000',
      repository: 'team/app',
      tag: 'latest',
    });
  });

  it('pins the digest and does not invent a tag', () => {
    const ref = parseReference(`busybox@sha256:${hex}`);
    expect(ref.tag).toBeUndefined();
    expect(referenceTarget(ref)).toBe(`sha256:${hex}`);
  });
});

describe('invalid references say what is wrong', () => {
  it.each([
    ['', /empty/],
    ['Alpine', /"Alpine" is not a valid repository path component \(repository names must be lowercase\)/],
    ['alpine:', /tag "" is not valid/],
    ['alpine:-x', /tag "-x" is not valid/],
    ['a//b', /empty path component/],
    ['alpine@sha256:abc', /not sha256: followed by 64/],
    [`alpine@md5:${hex}`, /unsupported digest/],
    ['foo bar', /whitespace/],
    ['bad_host!:5000/x', /not a valid (host|repository)/],
    ['foo/-bar', /"-bar" is not a valid repository path component/],
    ['docker.io/' + 'a'.repeat(260), /longer than 255/],
  ])('%j', (input, message) => {
    expect(() => parseReference(input)).toThrow(InvalidReferenceError);
    expect(() => parseReference(input)).toThrow(message);
  });

  it('is a user error with exit code 2', () => {
    const err = (() => {
      try {
        parseReference('Alpine');
      } catch (e) {
        return e as InvalidReferenceError;
      }
      throw new Error('parseReference accepted "Alpine"');
    })();
    expect(err.isUserError).toBe(true);
    expect(err.exitCode).toBe(2);
    expect(err.message).toBe(
      'invalid image reference "Alpine": "Alpine" is not a valid repository path component (repository names must be lowercase): use lowercase letters, digits and single ".", "_", "__" or "-" separators',
    );
  });
});

describe('familiarReference', () => {
  it.each([
    ['docker.io/library/alpine:latest', 'alpine:latest'],
    ['docker.io/user/app:1', 'user/app:1'],
    ['127.0.0.1:5000/a/b:t', '127.0.0.1:5000/a/b:t'],
  ])('%s → %s', (input, expected) => {
    expect(familiarReference(input)).toBe(expected);
  });
});
