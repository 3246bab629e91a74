/**
 * Every API call the scaler and the pod watch make, as RBAC rules: the Role in
 * deploy/k8s/base/rbac.yaml grants exactly these (test/deploy/kustomize.spec.ts compares them, and
 * the scaler's tests check each request against them), so the coordinator's account can do nothing
 * else: no wildcards, no secrets, no deletes.
 */
export interface RbacRule {
  readonly apiGroups: readonly string[];
  readonly resources: readonly string[];
  readonly verbs: readonly string[];
}

export const SCALER_RBAC_RULES: readonly RbacRule[] = [
  // Read a StatefulSet to use as the template of a job's workers; create a job's StatefulSet.
  { apiGroups: ['apps'], resources: ['statefulsets'], verbs: ['get', 'create'] },
  // Read and set the replicas through the scale subresource.
  { apiGroups: ['apps'], resources: ['statefulsets/scale'], verbs: ['get', 'patch'] },
  // List, then watch, the worker pods.
  { apiGroups: [''], resources: ['pods'], verbs: ['list', 'watch'] },
];
