/**
 * The fleet's deployment files, checked offline: the Kubernetes manifests against the Kubernetes API schemas
 * (kubernetes-models) and against each other (selectors, probes on the gateway's own endpoints, the Secret's
 * keys, the drain inside the grace period, the config they carry loads); the nginx config is what the
 * generator writes, and nginx itself accepts it.
 */
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, it } from 'node:test';

import { Deployment } from 'kubernetes-models/apps/v1/Deployment';
import { ConfigMap } from 'kubernetes-models/v1/ConfigMap';
import { Secret } from 'kubernetes-models/v1/Secret';
import { Service } from 'kubernetes-models/v1/Service';
import { PodDisruptionBudget } from 'kubernetes-models/policy/v1/PodDisruptionBudget';
import { parseAllDocuments } from 'yaml';

import { nginxConfig } from '../../scripts/fleet/nginx-config.js';
import { parseConfig } from '../../src/config/parse-config.js';
import { repoRoot } from '../helpers/gateway.js';

const k8sDir = join(repoRoot, 'examples/fleet/k8s');
const models = { Deployment, ConfigMap, Secret, Service, PodDisruptionBudget } as const;

type Manifest = { kind: keyof typeof models; metadata: { name: string }; [key: string]: unknown };

function manifests(): Manifest[] {
  return readdirSync(k8sDir)
    .filter(file => file.endsWith('.yaml'))
    .flatMap(file => parseAllDocuments(readFileSync(join(k8sDir, file), 'utf8')).map(document => document.toJS() as Manifest));
}

describe('fleet deployment files', () => {
  it('Kubernetes manifests: valid against the API schemas and consistent with each other and the gateway', () => {
    const all = manifests();
    const byKind = new Map(all.map(manifest => [manifest.kind, manifest]));
    assert.deepEqual([...byKind.keys()].sort(), ['ConfigMap', 'Deployment', 'PodDisruptionBudget', 'Secret', 'Service']);
    for (const manifest of all) {
      const Model = models[manifest.kind];
      assert.ok(Model, `no model for ${manifest.kind}`);
      // Throws with the schema path of the first problem.
      new Model(manifest).validate();
    }
    // The validation is real: a wrong type is caught.
    const broken = structuredClone(byKind.get('Deployment')) as unknown as { spec: { replicas: unknown } };
    broken.spec.replicas = 'three';
    assert.throws(() => new Deployment(broken as never).validate(), /replicas/);

    const deployment = new Deployment(byKind.get('Deployment'));
    const service = new Service(byKind.get('Service'));
    const pdb = new PodDisruptionBudget(byKind.get('PodDisruptionBudget'));
    const secret = new Secret(byKind.get('Secret'));
    const configMap = new ConfigMap(byKind.get('ConfigMap'));
    assert.equal(deployment.spec?.replicas, 3);
    const labels = deployment.spec?.template.metadata?.labels ?? {};
    for (const selector of [deployment.spec?.selector.matchLabels, service.spec?.selector, pdb.spec?.selector?.matchLabels]) {
      for (const [key, value] of Object.entries(selector ?? {})) assert.equal(labels[key], value, `selector ${key}=${value} matches the pods`);
    }
    assert.ok((pdb.spec?.minAvailable as number) < 3, 'the disruption budget lets one replica go');

    const container = deployment.spec?.template.spec?.containers[0];
    assert.ok(container);
    assert.equal(container.readinessProbe?.httpGet?.path, '/readyz');
    assert.equal(container.livenessProbe?.httpGet?.path, '/healthz');
    const port = container.ports?.find(p => p.name === container.readinessProbe?.httpGet?.port);
    assert.ok(port, 'the probes name a declared port');
    assert.equal(service.spec?.ports?.[0]?.targetPort, port.name);
    const instanceId = container.env?.find(env => env.name === 'MANIFOLD_INSTANCE_ID');
    assert.equal(instanceId?.valueFrom?.fieldRef?.fieldPath, 'metadata.name', 'each pod is its own instance');
    assert.equal(container.envFrom?.[0]?.secretRef?.name, secret.metadata?.name);
    const configVolume = deployment.spec?.template.spec?.volumes?.find(volume => volume.configMap);
    assert.equal(configVolume?.configMap?.name, configMap.metadata?.name);
    const mount = container.volumeMounts?.find(m => m.name === configVolume?.name);
    assert.ok(mount && container.args?.includes(`${mount.mountPath}/manifold.yaml`), 'the config the container reads is the mounted ConfigMap');

    // The config loads with the Secret's values in the environment, and drains within the grace period.
    const env: Record<string, string> = { ...(secret.stringData ?? {}) };
    const { config } = parseConfig(configMap.data?.['manifold.yaml'] ?? '', { env });
    for (const key of ['MANIFOLD_STORE', 'MANIFOLD_REDIS']) assert.ok(env[key], `the Secret sets ${key}`);
    assert.equal(config.gateway.http.host, '0.0.0.0');
    assert.equal(config.gateway.http.port, port.containerPort);
    assert.ok(config.auth !== undefined, 'beyond loopback the gateway needs auth:');
    assert.ok(config.fleet.drain + 2000 < (deployment.spec?.template.spec?.terminationGracePeriodSeconds ?? 30) * 1000);
  });

  it('nginx: the example is what the generator writes, and nginx accepts it', () => {
    const instances = [1, 2, 3].map(n => ({ id: `gw-${n}`, port: 3330 + n }));
    const text = readFileSync(join(repoRoot, 'examples/fleet/nginx.conf'), 'utf8');
    assert.equal(text, nginxConfig({ listen: '127.0.0.1:3330', instances }));
    const dir = mkdtempSync(join(tmpdir(), 'manifold-nginx-'));
    try {
      const file = join(dir, 'nginx.conf');
      writeFileSync(file, nginxConfig({ listen: '127.0.0.1:3330', instances, runDir: dir }));
      execFileSync('nginx', ['-t', '-c', file, '-p', dir, '-e', 'stderr'], { encoding: 'utf8', stdio: ['ignore', 'pipe', 'pipe'] });
      // A broken one is refused (the check is real).
      writeFileSync(file, nginxConfig({ listen: '127.0.0.1:3330', instances, runDir: dir }).replace('proxy_pass', 'proxy_passs'));
      assert.throws(() => execFileSync('nginx', ['-t', '-c', file, '-p', dir, '-e', 'stderr'], { stdio: 'pipe' }), /unknown directive "proxy_passs"/);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });
});
