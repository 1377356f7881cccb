using System.Reflection;
using System.Reflection.Emit;

namespace Baton.Tests.Architecture;

/// <summary>
/// Which namespaces of an assembly use which, read from the compiled assembly: for every type (nested and
/// compiler-generated types count for the namespace of their outermost type), the types named by its base type,
/// interfaces, fields, properties, events, method and constructor signatures, local variables, and every type, method
/// and field token in its method bodies' IL. An edge A → B means code in namespace A names a type of namespace B of the
/// same assembly.
/// </summary>
internal static class NamespaceGraph
{
    private const BindingFlags Declared = BindingFlags.Public | BindingFlags.NonPublic | BindingFlags.Instance | BindingFlags.Static | BindingFlags.DeclaredOnly;

    private static readonly Dictionary<short, OperandType> Operands = typeof(OpCodes)
        .GetFields(BindingFlags.Public | BindingFlags.Static)
        .Select(f => (OpCode)f.GetValue(null)!)
        .ToDictionary(o => o.Value, o => o.OperandType);

    /// <summary>Namespace → the other namespaces of <paramref name="assembly"/> it uses, each with one type that shows the edge.</summary>
    public static SortedDictionary<string, SortedDictionary<string, string>> Edges(Assembly assembly)
    {
        var edges = new SortedDictionary<string, SortedDictionary<string, string>>(StringComparer.Ordinal);
        foreach (var type in assembly.GetTypes())
        {
            string? from = NamespaceOf(type);
            if (from is null)
                continue;
            if (!edges.ContainsKey(from))
                edges[from] = new(StringComparer.Ordinal);
            foreach (var used in Referenced(type))
            {
                if (used.Assembly != assembly || NamespaceOf(used) is not { } to || to == from)
                    continue;
                edges[from].TryAdd(to, $"{Outermost(type).FullName} uses {Outermost(used).FullName}");
            }
        }
        return edges;
    }

    /// <summary>A cycle of namespaces (first = last), or null when the graph is acyclic.</summary>
    public static IReadOnlyList<string>? FindCycle(SortedDictionary<string, SortedDictionary<string, string>> edges)
    {
        var state = new Dictionary<string, int>();   // 1 on the path, 2 done
        var path = new List<string>();
        List<string>? Visit(string node)
        {
            state[node] = 1;
            path.Add(node);
            foreach (string next in edges.TryGetValue(node, out var targets) ? targets.Keys : Enumerable.Empty<string>())
            {
                if (state.GetValueOrDefault(next) == 1)
                    return [.. path.Skip(path.IndexOf(next)), next];
                if (state.GetValueOrDefault(next) == 0 && Visit(next) is { } cycle)
                    return cycle;
            }
            path.RemoveAt(path.Count - 1);
            state[node] = 2;
            return null;
        }
        foreach (string node in edges.Keys)
        {
            if (state.GetValueOrDefault(node) == 0 && Visit(node) is { } cycle)
                return cycle;
        }
        return null;
    }

    private static Type Outermost(Type type)
    {
        while (type.DeclaringType is { } outer)
            type = outer;
        return type;
    }

    private static string? NamespaceOf(Type type)
    {
        // Source generators (GeneratedRegex) emit helper types into their own namespaces: they are the compiler's, not a layer.
        var outer = Outermost(type);
        return outer.IsGenericParameter || outer.IsDefined(typeof(System.CodeDom.Compiler.GeneratedCodeAttribute), false)
            ? null : outer.Namespace;
    }

    private static IEnumerable<Type> Referenced(Type type)
    {
        var found = new HashSet<Type>();
        void Add(Type? t)
        {
            if (t is null || t.IsGenericParameter)
                return;
            if (t.HasElementType)
            {
                Add(t.GetElementType());
                return;
            }
            if (t.IsGenericType && !t.IsGenericTypeDefinition)
            {
                foreach (var argument in t.GetGenericArguments())
                    Add(argument);
                t = t.GetGenericTypeDefinition();
            }
            found.Add(t);
        }

        Add(type.BaseType);
        foreach (var i in type.GetInterfaces())
            Add(i);
        foreach (var field in type.GetFields(Declared))
            Add(field.FieldType);
        foreach (var property in type.GetProperties(Declared))
            Add(property.PropertyType);
        foreach (var e in type.GetEvents(Declared))
            Add(e.EventHandlerType);
        foreach (MethodBase method in type.GetMethods(Declared).Cast<MethodBase>().Concat(type.GetConstructors(Declared)))
        {
            if (method is MethodInfo info)
                Add(info.ReturnType);
            foreach (var parameter in method.GetParameters())
                Add(parameter.ParameterType);
            var body = method.GetMethodBody();
            if (body is null)
                continue;
            foreach (var local in body.LocalVariables)
                Add(local.LocalType);
            foreach (var member in Tokens(method, body.GetILAsByteArray() ?? []))
            {
                switch (member)
                {
                    case Type t:
                        Add(t);
                        break;
                    case MethodBase m:
                        Add(m.DeclaringType);
                        if (m is MethodInfo mi)
                            Add(mi.ReturnType);
                        foreach (var p in m.GetParameters())
                            Add(p.ParameterType);
                        if (m.IsGenericMethod)
                            foreach (var a in m.GetGenericArguments())
                                Add(a);
                        break;
                    case FieldInfo f:
                        Add(f.DeclaringType);
                        Add(f.FieldType);
                        break;
                }
            }
        }
        return found;
    }

    // The members named by the IL's metadata tokens (call, newobj, ldfld, box, ldtoken, ...).
    private static IEnumerable<MemberInfo> Tokens(MethodBase method, byte[] il)
    {
        var module = method.Module;
        Type[]? typeArguments = method.DeclaringType is { IsGenericType: true } d ? d.GetGenericArguments() : null;
        Type[]? methodArguments = method.IsGenericMethod ? method.GetGenericArguments() : null;
        int i = 0;
        while (i < il.Length)
        {
            short code = il[i] == 0xFE ? (short)(0xFE00 | il[i + 1]) : il[i];
            i += il[i] == 0xFE ? 2 : 1;
            var operand = Operands[code];
            switch (operand)
            {
                case OperandType.InlineMethod or OperandType.InlineField or OperandType.InlineType or OperandType.InlineTok:
                    int token = BitConverter.ToInt32(il, i);
                    yield return module.ResolveMember(token, typeArguments, methodArguments)!;
                    i += 4;
                    break;
                case OperandType.InlineNone:
                    break;
                case OperandType.ShortInlineBrTarget or OperandType.ShortInlineI or OperandType.ShortInlineVar:
                    i += 1;
                    break;
                case OperandType.InlineVar:
                    i += 2;
                    break;
                case OperandType.InlineI8 or OperandType.InlineR:
                    i += 8;
                    break;
                case OperandType.InlineSwitch:
                    int count = BitConverter.ToInt32(il, i);
                    i += 4 + 4 * count;
                    break;
                default:   // InlineBrTarget, InlineI, InlineSig, InlineString, ShortInlineR
                    i += 4;
                    break;
            }
        }
    }
}
