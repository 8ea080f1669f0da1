import {
  App,
  Aspects,
  CfnElement,
  CfnResource,
  DefaultStackSynthesizer,
  DefaultTokenResolver,
  IAspect,
  IInspectable,
  IPolicyValidationPlugin,
  Lazy,
  IPostProcessor,
  IResolvable,
  IResolveContext,
  NestedStack,
  Reference,
  Stack,
  Stage,
  StringConcat,
  Tokenization,
  TreeInspector,
  Validations,
} from 'aws-cdk-lib';
import { Construct, IConstruct } from 'constructs';

/**
 * Template metadata key that records which domain's checks cover which scope of a stack.
 *
 * The template audit of cdk_partition reads it (`cdk_partition.assembly.CHECKS_METADATA_KEY`).
 * Each mark is `{"domain": <name>, "scope": <construct path or "">}`; a mark for a construct scope
 * (not a whole stack) also lists the logical ids of the resources under that scope in
 * `"resources"`, so that the audit places them without `aws:cdk:path` metadata.
 */
export const CHECKS_METADATA_KEY = 'cdk_partition:checks';

/** Construct id of the marker the checks leave in stacks of Stages synthesized before them. */
export const MARKER_ID = 'CdkPartitionChecks';

const registered = new WeakSet<Stage>();

/**
 * The native half of cdk_partition's `DomainEncryptionChecks` aspect.
 *
 * It runs inside the jsii kernel, so `visit` costs no cross-process callback per construct: it
 * marks each stack under the scope with the domain (template metadata the audit reads) and makes
 * sure the validation plugin runs for the enclosing Stage. The Python class
 * `cdk_partition.DomainEncryptionChecks` subclasses it and supplies the plugin.
 *
 * Aspects do not cross Stage boundaries, and the CDK synthesizes nested Stages before it runs the
 * aspects of their parent. So when the scope is a Stage (the App included), the stacks of the
 * Stages nested in it are already written when `visit` runs: they get a marker construct whose
 * attributes the cloud assembly's `tree.json` records (written last, by the App), and the audit
 * reads those marks from there.
 */
export class DomainChecksAspect implements IAspect {
  /** The domain whose key every store in the scope must use. */
  public readonly domainName: string;
  /** The key ARN of a domain defined elsewhere (another app or account), when checked by ARN. */
  public readonly keyArn?: string;
  private readonly plugin: IPolicyValidationPlugin;
  private first = true;

  /**
   * @param domainName the domain whose key every store in the scope must use
   * @param plugin the validation plugin that audits the synthesized templates
   * @param keyArn for a domain defined elsewhere: the exact key ARN every store must name
   */
  public constructor(domainName: string, plugin: IPolicyValidationPlugin, keyArn?: string) {
    this.domainName = domainName;
    this.plugin = plugin;
    this.keyArn = keyArn;
  }

  /** Aspect entry point: cheap, native, no callback into the host language. */
  public visit(node: IConstruct): void {
    if (this.first) {
      this.first = false;
      if (Stage.isStage(node)) {
        this.markNestedStages(node);
      } else {
        this.markScope(node);
      }
    }
    if (Stack.isStack(node)) {
      mark(node, this.domainName, '', undefined, this.keyArn);
    } else if (Stage.isStage(node)) {
      this.register(node);
    }
  }

  /**
   * Apply the checks to `scope` without a traversal: a Stack (its nested stacks included), any
   * construct in a Stack, or a Stage (then the checks are added to it as an aspect, which covers
   * its stacks and the stacks of every Stage nested in it).
   */
  public applyTo(scope: IConstruct): void {
    if (Stage.isStage(scope)) {
      // a fresh instance: its first visit is this Stage, whatever else this one is applied to
      Aspects.of(scope).add(new DomainChecksAspect(this.domainName, this.plugin, this.keyArn));
      return;
    }
    // stacks created under the scope (not nested stacks) are covered by the audit through the
    // construct paths of the cloud assembly's manifest: no traversal at synthesis
    this.markScope(scope);
  }

  private markScope(scope: IConstruct): void {
    const stage = Stage.of(scope);
    if (stage) {
      this.register(stage);
    }
    if (Stack.isStack(scope)) {
      mark(scope, this.domainName, '', undefined, this.keyArn);
    } else {
      const stack = Stack.of(scope);
      mark(stack, this.domainName, scope.node.path, resourcesUnder(scope, stack), this.keyArn);
    }
  }

  private markNestedStages(stage: Stage): void {
    const nested = stage.node.findAll().filter((c) => c !== stage && Stage.isStage(c)) as Stage[];
    if (nested.length === 0) {
      return;
    }
    // every top-level stack of each nested Stage, however deep under plain constructs
    const stacks = nested.flatMap(
      (s) =>
        s.node
          .findAll()
          .filter((c) => Stack.isStack(c) && !(c as Stack).nested && Stage.of(c) === s) as Stack[],
    );
    const app = stage.node.root;
    if (stacks.length > 0 && !app.node.tryFindChild('Tree')) {
      throw new Error(
        `cdk_partition: the checks of domain '${this.domainName}' on ${stage.node.path || 'the App'} ` +
          `cover the Stages ${nested.map((s) => s.node.path).join(', ')}, which the CDK synthesizes ` +
          'before it runs aspects on their parent. Their stacks are marked through the cloud ' +
          "assembly's tree.json, which this App does not write (treeMetadata: false). Turn tree " +
          'metadata on, or apply DomainEncryptionChecks inside each Stage.',
      );
    }
    for (const stack of stacks) {
      const existing = stack.node.tryFindChild(MARKER_ID) as ChecksMarker | undefined;
      (existing ?? new ChecksMarker(stack, MARKER_ID)).add(this.domainName, this.keyArn);
    }
  }

  /**
   * Make sure `plugin` runs at synthesis for the app holding `scope`, once: registered on the App
   * (or on the outermost Stage when the root is not an App), it is given the templates of every
   * Stage nested in it. A second call for the same app, from a domain or from the checks, adds
   * nothing. `DataDomain` calls it, so an app that applies no checks is still audited at synth.
   *
   * @param scope any construct of the app
   * @param plugin the validation plugin that audits the synthesized templates
   */
  public static registerPlugin(scope: IConstruct, plugin: IPolicyValidationPlugin): void {
    const stage = Stage.of(scope) ?? (Stage.isStage(scope) ? scope : undefined);
    if (stage) {
      registerOnce(stage, plugin);
    }
  }

  /** Make sure the plugin runs once for the whole app (see `registerPlugin`). */
  private register(stage: Stage): void {
    registerOnce(stage, this.plugin);
  }
}

/** Register `plugin` on the App holding `stage` (or on `stage` when the root is no App), once. */
function registerOnce(stage: Stage, plugin: IPolicyValidationPlugin): void {
  const root = stage.node.root;
  const target = App.isApp(root) ? root : stage;
  if (!registered.has(target)) {
    registered.add(target);
    Validations.of(target).addPlugins(plugin);
  }
}

/**
 * A construct with no template output whose tree attributes carry the checks' marks for a stack
 * that was synthesized before the checks ran (a stack of a nested Stage).
 */
export class ChecksMarker extends Construct implements IInspectable {
  private readonly marks: Array<{ domain: string; scope: string; key?: string }> = [];

  /** Record that `domainName`'s checks cover this marker's whole stack. */
  public add(domainName: string, keyArn?: string): void {
    if (!this.marks.some((m) => m.domain === domainName)) {
      this.marks.push(keyArn ? { domain: domainName, scope: '', key: keyArn } : { domain: domainName, scope: '' });
    }
  }

  /** Tree metadata: `cdk_partition:checks` as in a template mark, scope "" (the whole stack). */
  public inspect(inspector: TreeInspector): void {
    inspector.addAttribute(CHECKS_METADATA_KEY, this.marks);
  }
}

/**
 * The logical ids of the resources under `scope` in `stack`, resolved at synthesis (when the tree
 * is complete). A nested stack under the scope is listed by its AWS::CloudFormation::Stack
 * resource in `stack`: every resource of its template is in the scope.
 */
function resourcesUnder(scope: IConstruct, stack: Stack): string[] {
  return Lazy.list({
    produce: () => {
      const ids: string[] = [];
      for (const c of scope.node.findAll()) {
        if (CfnResource.isCfnResource(c) && Stack.of(c) === stack) {
          ids.push(stack.resolve(c.logicalId));
        } else if (Stack.isStack(c) && c !== stack && c.nested && c.nestedStackParent === stack) {
          const resource = (c as NestedStack).nestedStackResource;
          if (resource) {
            ids.push(stack.resolve(resource.logicalId));
          }
        }
      }
      return [...new Set(ids)].sort();
    },
  });
}

function mark(
  stack: Stack,
  domainName: string,
  scopePath: string,
  resources?: string[],
  keyArn?: string,
): void {
  const options = stack.templateOptions;
  const metadata: { [key: string]: any } = { ...(options.metadata ?? {}) };
  const marks: Array<{ domain: string; scope: string; resources?: string[]; key?: string }> = [
    ...(metadata[CHECKS_METADATA_KEY] ?? []),
  ];
  if (!marks.some((m) => m.domain === domainName && m.scope === scopePath)) {
    marks.push({
      domain: domainName,
      scope: scopePath,
      ...(resources ? { resources } : {}),
      ...(keyArn ? { key: keyArn } : {}),
    });
    metadata[CHECKS_METADATA_KEY] = marks;
    options.metadata = metadata;
  }
}

/**
 * Facts about a stack that only the kernel can read correctly.
 *
 * A `DefaultStackSynthesizer` passed to a Stack is cloned and bound to it (`reusableBind`); from
 * Python, `stack.synthesizer` comes back as the unbound original, whose role getters throw. Read
 * here, the bound clone answers.
 */
export class StackFacts {
  /**
   * The CloudFormation execution role ARN of `stack`'s synthesizer, or undefined when it has none
   * (a synthesizer that is not a `DefaultStackSynthesizer` or one of its subclasses).
   */
  public static cloudFormationExecutionRoleArn(stack: Stack): string | undefined {
    const synthesizer = stack.synthesizer;
    if (!(synthesizer instanceof DefaultStackSynthesizer)) {
      return undefined;
    }
    try {
      return synthesizer.cloudFormationExecutionRoleArn;
    } catch {
      return undefined;
    }
  }
}

/** What a resolved key slot holds where it names the key being looked for. */
export const KEY_SENTINEL = 'cdk-partition:this-key';

/** Resolves every reference to one resource (`Ref`, `Fn::GetAtt`) to `KEY_SENTINEL`. */
class MarkingResolver extends DefaultTokenResolver {
  public constructor(private readonly target: CfnResource) {
    super(new StringConcat());
  }

  public resolveToken(t: IResolvable, context: IResolveContext, postProcessor: IPostProcessor): any {
    if (Reference.isReference(t) && t.target === this.target) {
      return KEY_SENTINEL;
    }
    return super.resolveToken(t, context, postProcessor);
  }
}

/**
 * The resources of an app that name one KMS key, found inside the kernel (one traversal, no
 * callback per construct).
 */
export class KeyUsers {
  /**
   * Every CloudFormation resource under `key`'s root whose type is one of `types` and whose
   * properties (escape-hatch overrides included) reference `key` (`Ref` or `Fn::GetAtt`), as a
   * JSON array of `{"type", "path", "properties"}`, each reference to the key written as
   * `KEY_SENTINEL`; a resource that cannot be resolved yet gives `{"type", "path", "error"}`.
   *
   * @param key the key resource (`AWS::KMS::Key` or `AWS::KMS::ReplicaKey`)
   * @param types the CloudFormation types to look at (those with key slots)
   * @param aliases the key's literal alias names (`alias/orders`): a property naming one, bare or
   *   as the end of an alias ARN (`kms.Alias.fromAliasName(...)` gives
   *   `arn:${Partition}:kms:<region>:<account>:alias/orders`), names the key too
   */
  public static find(key: CfnResource, types: string[], aliases?: string[]): string {
    const wanted = new Set(types);
    const found: any[] = [];
    const resolver = new MarkingResolver(key);
    const names = aliases ?? [];
    for (const c of key.node.root.node.findAll()) {
      if (!CfnResource.isCfnResource(c) || !wanted.has(c.cfnResourceType)) {
        continue;
      }
      const item = renderedIfMarked(c, resolver, KEY_SENTINEL, names);
      if (item !== undefined) {
        found.push(item);
      }
    }
    return JSON.stringify(found);
  }
}

/** Whether `text` names one of `aliases`: the name itself, or an ARN ending in it. */
function namesAlias(text: string, aliases: string[]): boolean {
  return aliases.some((a) => text === a || text.endsWith(':' + a));
}

/**
 * `value` with every string, and every `Fn::Join` whose last part is a string, that names one of
 * `aliases` replaced by `sentinel`.
 */
function markAliases(value: any, aliases: string[], sentinel: string): any {
  if (aliases.length === 0) {
    return value;
  }
  if (typeof value === 'string') {
    return namesAlias(value, aliases) ? sentinel : value;
  }
  if (Array.isArray(value)) {
    return value.map((v) => markAliases(v, aliases, sentinel));
  }
  if (value !== null && typeof value === 'object') {
    const join = value['Fn::Join'];
    if (Object.keys(value).length === 1 && Array.isArray(join) && Array.isArray(join[1])) {
      const last = join[1][join[1].length - 1];
      if (typeof last === 'string' && namesAlias(last, aliases)) {
        return sentinel;
      }
    }
    const out: any = {};
    for (const [k, v] of Object.entries(value)) {
      out[k] = markAliases(v, aliases, sentinel);
    }
    return out;
  }
  return value;
}

/**
 * `{"type", "path", "properties"}` of `c` rendered with `resolver` when the rendering holds
 * `sentinel` (a reference the resolver marked, or a name of one of `aliases`), undefined when it
 * does not; `{"type", "path", "error"}` when `c` cannot be resolved yet.
 */
function renderedIfMarked(
  c: CfnResource,
  resolver: DefaultTokenResolver,
  sentinel: string,
  aliases: string[] = [],
): any {
  try {
    const rendered = markAliases(
      Tokenization.resolve((c as any)._toCloudFormation(), {
        scope: c,
        resolver,
        preparing: false,
      }),
      aliases,
      sentinel,
    );
    if (!JSON.stringify(rendered).includes(sentinel)) {
      return undefined;
    }
    const resources = rendered.Resources ?? {};
    const body: any = Object.values(resources)[0] ?? {};
    return { type: c.cfnResourceType, path: c.node.path, properties: body.Properties ?? {} };
  } catch (e) {
    return { type: c.cfnResourceType, path: c.node.path, error: String(e) };
  }
}

/** What a resolved property holds where it names a store on the key: this prefix + its path. */
export const STORE_SENTINEL = 'cdk-partition:store:';

/** Resolves every reference to one of a set of resources to `STORE_SENTINEL` + its path. */
class StoreMarkingResolver extends DefaultTokenResolver {
  public constructor(private readonly paths: Set<string>) {
    super(new StringConcat());
  }

  public resolveToken(t: IResolvable, context: IResolveContext, postProcessor: IPostProcessor): any {
    if (Reference.isReference(t) && CfnResource.isCfnResource(t.target) && this.paths.has(t.target.node.path)) {
      return STORE_SENTINEL + t.target.node.path;
    }
    return super.resolveToken(t, context, postProcessor);
  }
}

/**
 * The resources of an app that wire a service to the stores on a key (an alarm whose action is a
 * topic on the key, an Auto Scaling group launching a template on the key), found inside the
 * kernel (one traversal, no callback per construct).
 */
export class KeyReferrers {
  /**
   * Every CloudFormation resource under `key`'s root whose type is one of `sourceTypes` and
   * whose properties (escape-hatch overrides included) reference one of the resources at
   * `storePaths` (`Ref` or `Fn::GetAtt`), as a JSON array of `{"type", "path", "properties"}`,
   * each reference to such a store written as `STORE_SENTINEL` + the store's construct path; a
   * resource that cannot be resolved yet gives `{"type", "path", "error"}`.
   *
   * @param key the key resource (its root is searched)
   * @param storePaths the construct paths of the resources on the key
   * @param sourceTypes the CloudFormation types that wire a service to a store
   * @param properties the top-level CloudFormation properties that wire (PascalCase): a resource
   *   that sets none of them and has no escape-hatch override is not resolved
   */
  public static find(key: CfnResource, storePaths: string[], sourceTypes: string[], properties: string[]): string {
    const wanted = new Set(sourceTypes);
    const names = [...properties, ...properties.map((p) => p.charAt(0).toLowerCase() + p.slice(1))];
    const found: any[] = [];
    if (storePaths.length === 0) {
      return '[]';
    }
    const resolver = new StoreMarkingResolver(new Set(storePaths));
    for (const c of key.node.root.node.findAll()) {
      if (!CfnResource.isCfnResource(c) || !wanted.has(c.cfnResourceType)) {
        continue;
      }
      const given: any = (c as any).cfnProperties ?? {};
      const overridden = Object.keys((c as any).rawOverrides ?? {}).length > 0;
      if (!overridden && !names.some((n) => given[n] !== undefined)) {
        continue; // sets no wiring property: nothing to resolve (the common bucket)
      }
      const item = renderedIfMarked(c, resolver, STORE_SENTINEL);
      if (item !== undefined) {
        found.push(item);
      }
    }
    return JSON.stringify(found);
  }
}

/** Records the stack of every resource a reference (`Ref`, `Fn::GetAtt`) points to. */
class StackRecordingResolver extends DefaultTokenResolver {
  public readonly stacks = new Set<Stack>();

  public constructor() {
    super(new StringConcat());
  }

  public resolveToken(t: IResolvable, context: IResolveContext, postProcessor: IPostProcessor): any {
    if (Reference.isReference(t)) {
      try {
        this.stacks.add(Stack.of(t.target));
      } catch {
        // a reference to no construct of a stack: nothing to record
      }
    }
    return super.resolveToken(t, context, postProcessor);
  }
}

/** Which stacks the resources of a stack reference, read inside the kernel (no callbacks). */
export class StackReferences {
  /**
   * The construct paths of the stacks (other than `stack`) whose resources the template
   * elements of `stack` (resources, outputs, conditions, rules) reference (`Ref`,
   * `Fn::GetAtt`, escape-hatch overrides included), resolved as written, before the CDK turns
   * them into exports and imports.
   *
   * @param stack the stack whose resources are read
   */
  public static referencedStacks(stack: Stack): string[] {
    const resolver = new StackRecordingResolver();
    for (const c of stack.node.findAll()) {
      // every element of the template: resources, and outputs, conditions and rules, whose
      // tokens reference other stacks the same way
      if (!CfnElement.isCfnElement(c) || Stack.of(c) !== stack) {
        continue;
      }
      try {
        Tokenization.resolve((c as any)._toCloudFormation(), { scope: c, resolver, preparing: false });
      } catch {
        // a resource that cannot be resolved yet is read by the audit later
      }
    }
    resolver.stacks.delete(stack);
    return [...resolver.stacks].map((s) => s.node.path);
  }
}
