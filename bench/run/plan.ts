/** Which scenarios run on which profile, checked against what the run is pointed at. */
import { UserError } from '../../lib/errors.ts';
import type { LinkParams, Profile } from '../../netem/link.ts';
import { addsNothing, getProfile } from '../../netem/profiles.ts';
import { remoteProfile } from '../../netem/remote.ts';
import {
  scenarioProfiles,
  type BenchOptions,
  type Scenario,
  type ScenarioDefinition,
  type SizeName,
} from '../scenarios/types.ts';

export interface ProfilePlan<S extends ScenarioDefinition = Scenario> {
  profile: Profile;
  scenarios: S[];
}

/** Which scenarios run on which profile: the given profiles for all, or each scenario's defaults (by RTT). */
export function planProfiles<S extends ScenarioDefinition = Scenario>(
  scenarios: readonly S[],
  given: readonly Profile[] | null,
  size: SizeName = 'full',
): ProfilePlan<S>[] {
  if (given !== null) return given.map((profile) => ({ profile, scenarios: [...scenarios] }));
  const byName = new Map<string, ProfilePlan<S>>();
  for (const s of scenarios) {
    for (const name of scenarioProfiles(s, size)) {
      let entry = byName.get(name);
      if (!entry) byName.set(name, (entry = { profile: getProfile(name), scenarios: [] }));
      entry.scenarios.push(s);
    }
  }
  return [...byName.values()].sort((a, b) => a.profile.params.rtt_ms - b.profile.params.rtt_ms);
}

/** The run's plan; a remote target (`--target`) takes only remote-capable scenarios and no profile. */
export function planRun(options: BenchOptions, scenarios: readonly Scenario[]): ProfilePlan[] {
  const remote = options.target ?? null;
  if (remote === null)
    return planProfiles(scenarios, options.profiles, options.size ?? (options.quick ? 'quick' : 'full'));
  const local = scenarios.filter((s) => !s.remoteCapable).map((s) => s.name);
  if (local.length)
    throw new UserError(
      `scenario ${local.join(', ')} cannot run against a remote target: it needs to control the server or the link; run it without --target`,
    );
  if (options.profiles !== null)
    throw new UserError(
      'a remote target cannot be given a profile: the network is what it is; drop --profile/--rtt/--loss',
    );
  return [{ profile: remoteProfile(remote), scenarios: [...scenarios] }];
}

/** The link is opened for the most demanding profile so that `auto` never picks a backend a later profile cannot use. */
export function paramsToOpenWith(plan: readonly ProfilePlan[]): LinkParams {
  const profiles = plan.map((p) => p.profile);
  const first = profiles[0];
  if (!first) throw new UserError('no profile to run');
  return profiles.find((p) => !addsNothing(p.params))?.params ?? first.params;
}
