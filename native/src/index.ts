import { IAspect, IPolicyValidationPlugin, Stack, Stage, Validations } from 'aws-cdk-lib';
import { IConstruct } from 'constructs';

/**
 * Template metadata key that records which domain's checks cover which scope of a stack.
 *
 * The template audit of cdk_partition reads it (`cdk_partition.audit.CHECKS_METADATA_KEY`).
 */
export const CHECKS_METADATA_KEY = 'cdk_partition:checks';

const registered = new WeakSet<Stage>();

/**
 * The native half of cdk_partition's `DomainEncryptionChecks` aspect.
 *
 * It runs inside the jsii kernel, so `visit` costs no cross-process callback per construct: it
 * marks each stack under the scope with the domain (template metadata the audit reads) and makes
 * sure the validation plugin runs for the enclosing Stage. The Python class
 * `cdk_partition.DomainEncryptionChecks` subclasses it and supplies the plugin.
 */
export class DomainChecksAspect implements IAspect {
  /** The domain whose key every store in the scope must use. */
  public readonly domainName: string;
  private readonly plugin: IPolicyValidationPlugin;
  private first = true;

  /**
   * @param domainName the domain whose key every store in the scope must use
   * @param plugin the validation plugin that audits the synthesized templates
   */
  public constructor(domainName: string, plugin: IPolicyValidationPlugin) {
    this.domainName = domainName;
    this.plugin = plugin;
  }

  /** Aspect entry point: cheap, native, no callback into the host language. */
  public visit(node: IConstruct): void {
    if (this.first) {
      this.first = false;
      if (!Stage.isStage(node)) {
        this.applyTo(node);
      }
    }
    if (Stack.isStack(node)) {
      mark(node, this.domainName, '');
    } else if (Stage.isStage(node)) {
      this.register(node);
    }
  }

  /**
   * Apply the checks to `scope` (a Stack, or a construct in one) without a traversal.
   *
   * Nested stacks under `scope` are covered through their parent's mark.
   */
  public applyTo(scope: IConstruct): void {
    const stage = Stage.of(scope);
    if (stage) {
      this.register(stage);
    }
    if (Stack.isStack(scope)) {
      mark(scope, this.domainName, '');
    } else {
      mark(Stack.of(scope), this.domainName, scope.node.path);
    }
  }

  private register(stage: Stage): void {
    if (!registered.has(stage)) {
      registered.add(stage);
      Validations.of(stage).addPlugins(this.plugin);
    }
  }
}

function mark(stack: Stack, domainName: string, scopePath: string): void {
  const options = stack.templateOptions;
  const metadata: { [key: string]: any } = { ...(options.metadata ?? {}) };
  const marks: Array<{ domain: string; scope: string }> = [...(metadata[CHECKS_METADATA_KEY] ?? [])];
  if (!marks.some((m) => m.domain === domainName && m.scope === scopePath)) {
    marks.push({ domain: domainName, scope: scopePath });
    metadata[CHECKS_METADATA_KEY] = marks;
    options.metadata = metadata;
  }
}
